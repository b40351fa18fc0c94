import { readFileSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { paletteFor, renderDiagnostics } from '../../diagnostics/render-terminal.js';
import { ExdefError } from '../../failure.js';
import { formatDefinitionText } from '../../print/format-text.js';
import { definitionFiles } from '../definition-files.js';
import { ExdefCommand } from '../exdef-command.js';
import { writeFileAtomically } from '../write-file.js';

export default class Fmt extends ExdefCommand {
  static override summary = 'Rewrite definitions in canonical layout (--check for CI)';
  static override description =
    'Formats each definition in its own syntax: keys and statements in the canonical order, canonical expressions, consistent indentation. Formatting twice changes nothing. Files with syntax errors are left alone and reported.';
  static override strict = false;
  static override examples = [
    { description: 'Format every definition in a directory, in place', command: '<%= config.bin %> fmt definitions/' },
    { description: 'In CI: list files that are not formatted and fail', command: '<%= config.bin %> fmt --check definitions/' },
    { description: 'Print the formatted text instead of writing it', command: '<%= config.bin %> fmt --stdout recall.exdef' },
  ];
  static override args = {
    files: Args.string({ description: 'Definition files, directories or glob patterns', required: true }),
  };
  static override flags = {
    check: Flags.boolean({ description: 'Change nothing; list the files that are not formatted and exit 1 if there are any' }),
    stdout: Flags.boolean({ description: 'Print the formatted text instead of writing the file', exclusive: ['check'] }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Fmt);
    const files = definitionFiles(argv as string[]);
    if (files.length === 0) throw new ExdefError('no definition files match', { exitCode: 2 });
    let unformatted = 0;
    let failed = 0;
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        this.say(`error: cannot read ${file}`);
        failed++;
        continue;
      }
      const { formatted, parsed } = formatDefinitionText(file, text);
      if (formatted === undefined) {
        process.stderr.write(renderDiagnostics(parsed.diagnostics, undefined, paletteFor(process.stderr)));
        failed++;
        continue;
      }
      if (flags.stdout) {
        process.stdout.write(formatted);
      } else if (formatted !== text) {
        unformatted++;
        if (flags.check) process.stdout.write(`${file}\n`);
        else {
          writeFileAtomically(file, formatted);
          this.say(`formatted ${file}`);
        }
      }
    }
    if (flags.check && unformatted > 0) this.say(`${unformatted} file${unformatted === 1 ? ' is' : 's are'} not formatted: run \`exdef fmt\` on ${unformatted === 1 ? 'it' : 'them'}`);
    if (failed > 0 || (flags.check && unformatted > 0)) this.exit(1);
  }
}
