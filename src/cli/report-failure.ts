import { isExdefError } from '../failure.js';
import { jsonErrorLine, type JsonError } from './json-error.js';

/**
 * How a failure that reached a command is told to the user, and its exit code: an ExdefError in
 * one line (and its hints), a closed pipe as success, anything else as an internal error (exit 2;
 * EXDEF_DEBUG=1 shows its stack). With `json`, the answer is also written on stdout. Shared by
 * ExdefCommand (under oclif) and the commands run directly (direct-command.ts); free of oclif so
 * that the direct path does not load it.
 */
export function reportFailure(error: Error & { code?: string }, options: { json: boolean }): number {
  const say = (message: string) => process.stderr.write(`${message}\n`);
  const answerJson = (answer: JsonError) => {
    if (options.json) process.stdout.write(jsonErrorLine(answer));
  };
  if (isExdefError(error)) {
    const step = error.step ? ` (${error.step})` : '';
    say(`error${step}: ${error.message}`);
    for (const hint of error.hints) say(`  hint: ${hint}`);
    answerJson({ kind: error.exitCode === 1 ? 'failed' : 'usage', exitCode: error.exitCode, message: error.message, step: error.step });
    return error.exitCode;
  }
  if (error?.code === 'EPIPE') return 0;
  say(`internal error: ${error?.message ?? String(error)}`);
  say('  this is a bug in exdef; please report it with the command you ran (EXDEF_DEBUG=1 shows the stack)');
  if (process.env['EXDEF_DEBUG']) say(error?.stack ?? '');
  answerJson({ kind: 'internal', exitCode: 2, message: error?.message ?? String(error) });
  return 2;
}
