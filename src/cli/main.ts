import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { directCommand } from './direct-command.js';
import { drained } from './drained.js';
import { jsonErrorLine } from './json-error.js';
import { nearestCommand } from './nearest-command.js';

/**
 * The `exdef` process from start to end. oclif's own `execute` ends a failed command with
 * `process.exit`, which drops whatever stdout has not yet drained into a pipe (a SARIF report cut
 * at 64 KiB by `| tee`). Here the exit code is decided first, then stdout and stderr are drained,
 * and only then does the process end. A plain invocation of a command that can run without oclif
 * (direct-command.ts) does so; everything else goes through oclif, loaded only then.
 *
 * `bin`: the URL or path of bin/run.js; the package root is the directory above it.
 */
export async function main(argv: string[], bin: string | URL): Promise<never> {
  const binPath = bin instanceof URL || bin.startsWith('file:') ? fileURLToPath(bin) : bin;
  // A reader that stops early (`| head -c 10`) closes the pipe: what is left is not wanted, and the
  // command ends as it would have (its exit code unchanged), never with an unhandled EPIPE.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') process.exitCode = 2;
    });
  }
  let code: number;
  const direct = await directCommand(argv, dirname(dirname(binPath)));
  if (direct) {
    try {
      code = await direct.run();
    } catch (error) {
      code = direct.reportFailure(error as Error, { json: false });
    }
  } else {
    code = await runWithOclif(argv, binPath);
  }
  process.exitCode = code;
  await drained(process.stdout);
  await drained(process.stderr);
  // Everything written has reached the pipe or file; a handle left open (a pool, a timer) must not keep the process alive.
  process.exit(code);
}

async function runWithOclif(argv: string[], binPath: string): Promise<number> {
  // oclif checks at load that Node satisfies its own `engines` (>=18), with the semver package;
  // exdef's package.json already requires Node 20 (engine-strict), so the check is skipped.
  const ownEngineCheck = process.env['OCLIF_DISABLE_ENGINE_WARNING'] === undefined;
  if (ownEngineCheck) process.env['OCLIF_DISABLE_ENGINE_WARNING'] = '1';
  const { Config, Errors, run, settings } = await import('@oclif/core');
  if (ownEngineCheck) delete process.env['OCLIF_DISABLE_ENGINE_WARNING'];
  // Always run the compiled commands in dist/, even when NODE_ENV is "test" or "development"
  // (oclif would otherwise look for TypeScript sources beside them).
  settings.enableAutoTranspile = false;
  let commands: string[] = [];
  try {
    const config = await Config.load(binPath);
    commands = config.commandIDs;
    await run(argv, config);
    return 0;
  } catch (error) {
    return exitCodeOf(error, argv, commands, Errors.ExitError);
  }
}

/** The exit code of an error that reached the top; one that no command caught is reported here in one line. */
function exitCodeOf(error: unknown, argv: readonly string[], commands: readonly string[], ExitError: abstract new (...args: never[]) => { oclif: { exit?: number } }): number {
  if (error instanceof ExitError) return error.oclif.exit ?? 1;
  const e = error as Error & { oclif?: { exit?: number }; code?: string };
  if (e?.code === 'EPIPE') return 0;
  const notFound = /^command (.+) not found$/.exec(e?.message ?? '');
  if (notFound) {
    const word = unknownCommand(notFound[1]!.split(':'), commands);
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

/**
 * The words of an unknown command, without the arguments oclif joined to them (`lnit FILE` is
 * looked up as `lnit:FILE`): the topics it starts with (`db`, `terminology`) and the first word
 * that is none, as the user would name it.
 */
function unknownCommand(words: readonly string[], commands: readonly string[]): string {
  let n = 1;
  while (n < words.length && commands.some((id) => id.startsWith(`${words.slice(0, n).join(':')}:`))) n++;
  return words.slice(0, n).join(' ');
}

function fail(message: string, argv: readonly string[], kind: 'usage' | 'internal', prefixed = false): void {
  process.stderr.write(`${prefixed ? '' : 'error: '}${message}\n`);
  if (argv.includes('--json')) process.stdout.write(jsonErrorLine({ kind, exitCode: 2, message }));
}
