import { Command, Errors } from '@oclif/core';
import { isExdefError } from '../failure.js';
import { jsonErrorLine } from './json-error.js';
import { reportFailure } from './report-failure.js';

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
  private answersJson(): boolean {
    const flags = (this.constructor as typeof Command).flags ?? {};
    return 'json' in flags && this.argv.includes('--json');
  }

  protected override async catch(error: Error & { oclif?: { exit?: number }; code?: string }): Promise<unknown> {
    if (error instanceof Errors.ExitError) throw error;
    if (!isExdefError(error) && error.oclif?.exit !== undefined) {
      // A usage error from oclif's parser (unknown flag, missing argument, bad value).
      const lines = (error.message ?? String(error))
        .split('\n')
        .map((l) => l.replace(/^\s*(›\s*)?(Error:\s*)?/, '').trim())
        .filter((l) => l !== '' && !/^See more help with/.test(l));
      const message = lines.join(': ').replace(/:\s*:/g, ':') || 'invalid usage';
      this.say(`error: ${message} (see \`${this.config.bin} ${this.id?.replace(/:/g, ' ') ?? ''} --help\`)`);
      const code = error.oclif?.exit === 1 ? 1 : 2;
      if (this.answersJson()) process.stdout.write(jsonErrorLine({ kind: code === 1 ? 'failed' : 'usage', exitCode: code, message }));
      return this.exit(code);
    }
    return this.exit(reportFailure(error, { json: this.answersJson() }));
  }
}
