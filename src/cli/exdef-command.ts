import { Command, Errors } from '@oclif/core';
import { isExdefError } from '../failure.js';
import { jsonErrorLine, type JsonError } from './json-error.js';

/**
 * Every exdef command: failures a user can cause end in one clear line on stderr and exit code
 * 1 or 2, never a stack trace. A bug is reported as an internal error (exit 2); EXDEF_DEBUG=1
 * shows its stack.
 */
export abstract class ExdefCommand extends Command {
  /** Write to stderr without oclif's decorations. */
  protected say(message: string): void {
    process.stderr.write(`${message}\n`);
  }

  /** With `--json`, a failure is answered on stdout too, so that stdout is always JSON. */
  private answerJson(error: JsonError): void {
    const flags = (this.constructor as typeof Command).flags ?? {};
    if ('json' in flags && this.argv.includes('--json')) process.stdout.write(jsonErrorLine(error));
  }

  protected override async catch(error: Error & { oclif?: { exit?: number }; code?: string }): Promise<unknown> {
    if (error instanceof Errors.ExitError) throw error;
    if (isExdefError(error)) {
      const step = error.step ? ` (${error.step})` : '';
      this.say(`error${step}: ${error.message}`);
      for (const hint of error.hints) this.say(`  hint: ${hint}`);
      this.answerJson({ kind: error.exitCode === 1 ? 'failed' : 'usage', exitCode: error.exitCode, message: error.message, step: error.step });
      return this.exit(error.exitCode);
    }
    if (error.oclif?.exit !== undefined) {
      // A usage error from oclif's parser (unknown flag, missing argument, bad value).
      const lines = (error.message ?? String(error))
        .split('\n')
        .map((l) => l.replace(/^\s*(›\s*)?(Error:\s*)?/, '').trim())
        .filter((l) => l !== '' && !/^See more help with/.test(l));
      const message = lines.join(': ').replace(/:\s*:/g, ':') || 'invalid usage';
      this.say(`error: ${message} (see \`${this.config.bin} ${this.id?.replace(/:/g, ' ') ?? ''} --help\`)`);
      const code = error.oclif?.exit === 1 ? 1 : 2;
      this.answerJson({ kind: code === 1 ? 'failed' : 'usage', exitCode: code, message });
      return this.exit(code);
    }
    if (error.code === 'EPIPE') return this.exit(0);
    this.say(`internal error: ${error.message ?? String(error)}`);
    this.say('  this is a bug in exdef; please report it with the command you ran (EXDEF_DEBUG=1 shows the stack)');
    if (process.env['EXDEF_DEBUG']) this.say(error.stack ?? '');
    this.answerJson({ kind: 'internal', exitCode: 2, message: error.message ?? String(error) });
    return this.exit(2);
  }
}
