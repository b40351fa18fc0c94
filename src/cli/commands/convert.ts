import { Args, Flags } from '@oclif/core';
import { hasErrors } from '../../diagnostics/diagnostic.js';
import { paletteFor, renderDiagnostics } from '../../diagnostics/render-terminal.js';
import { ExdefError } from '../../failure.js';
import { parseDefinitionFile } from '../../parse/parse-definition.js';
import { printExdef } from '../../print/print-exdef.js';
import { printYaml } from '../../print/print-yaml.js';
import { definitionFileArgument } from '../definition-files.js';
import { ExdefCommand } from '../exdef-command.js';
import { writeFileAtomically } from '../write-file.js';

export default class Convert extends ExdefCommand {
  static override summary = 'Convert a definition between YAML and the exdef language';
  static override description =
    'Writes the definition in the other syntax, in canonical layout. The two mean exactly the same: converting back gives the same resolved definition. Comments before statements, keys and fields are kept.';
  static override examples = [
    { description: 'Show a YAML definition in the exdef language', command: '<%= config.bin %> convert definitions/chis-immunisations.exdef.yaml --to exdef' },
    { description: 'Write the YAML form of an exdef file', command: '<%= config.bin %> convert recall.exdef --to yaml -o recall.exdef.yaml' },
  ];
  static override args = {
    file: Args.string({ description: 'The definition to convert', required: true }),
  };
  static override flags = {
    to: Flags.string({ description: 'The syntax to write', options: ['yaml', 'exdef'], required: true }),
    output: Flags.string({ char: 'o', description: 'Write to this file instead of standard output', helpValue: 'FILE' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Convert);
    const parsed = parseDefinitionFile(definitionFileArgument(args.file));
    if (parsed.diagnostics.length > 0) process.stderr.write(renderDiagnostics(parsed.diagnostics, undefined, paletteFor(process.stderr)));
    if (hasErrors(parsed.diagnostics) || !parsed.document) throw new ExdefError(`${args.file} cannot be converted until its syntax errors are fixed`, { exitCode: 1 });
    const text = flags.to === 'exdef' ? printExdef({ ...parsed, document: parsed.document }) : printYaml({ ...parsed, document: parsed.document });
    if (flags.output) writeFileAtomically(flags.output, text);
    else process.stdout.write(text);
  }
}
