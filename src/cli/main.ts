import { fileURLToPath } from 'node:url';
import { Config, Errors, run } from '@oclif/core';
import { nearestCommand } from './nearest-command.js';
import { drained } from './drained.js';
import { jsonErrorLine } from './json-error.js';

/**
 * The `exdef` process from start to end. oclif's own `execute` ends a failed command with
 * `process.exit`, which drops whatever stdout has not yet drained into a pipe (a SARIF report cut
 * at 64 KiB by `| tee`). Here the exit code is decided first, then stdout and stderr are drained,
 * and only then does the process end.
 */
export async function main(argv: string[], root: string | URL): Promise<never> {
  let code = 0;
  let commands: string[] = [];
  try {
    const config = await Config.load(root instanceof URL || root.startsWith('file:') ? fileURLToPath(root) : root);
    commands = config.commandIDs;
    await run(argv, config);
  } catch (error) {
    code = exitCodeOf(error, argv, commands);
  }
  process.exitCode = code;
  await drained(process.stdout);
  await drained(process.stderr);
  // Everything written has reached the pipe or file; a handle left open (a pool, a timer) must not keep the process alive.
  process.exit(code);
}

/** The exit code of an error that reached the top; one that no command caught is reported here in one line. */
function exitCodeOf(error: unknown, argv: readonly string[], commands: readonly string[]): number {
  if (error instanceof Errors.ExitError) return error.oclif.exit ?? 1;
  const e = error as Error & { oclif?: { exit?: number }; code?: string };
  if (e?.code === 'EPIPE') return 0;
  const notFound = /^command (.+) not found$/.exec(e?.message ?? '');
  if (notFound) {
    const word = notFound[1]!.replace(/:/g, ' ');
    const message = `\`${word}\` is not an exdef command${nearestCommand(word, commands)}`;
    fail(message, argv, 'usage');
    process.stderr.write('  hint: `exdef --help` lists the commands\n');
    return 2;
  }
  // Before a command runs (loading the CLI's configuration): not something the user did, but still one line.
  fail(`internal error: ${e?.message ?? String(error)}`, argv, 'internal', true);
  if (process.env['EXDEF_DEBUG']) process.stderr.write(`${e?.stack ?? ''}\n`);
  return 2;
}

function fail(message: string, argv: readonly string[], kind: 'usage' | 'internal', prefixed = false): void {
  process.stderr.write(`${prefixed ? '' : 'error: '}${message}\n`);
  if (argv.includes('--json')) process.stdout.write(jsonErrorLine({ kind, exitCode: 2, message }));
}
