import { readFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { resources } from '../../resources.js';
import { ExdefCommand } from '../exdef-command.js';

export default class Schema extends ExdefCommand {
  static override summary = 'Print the JSON Schema of the YAML definition format';
  static override description =
    'The schema an editor with the YAML language server uses to complete and check a definition: start the file with `# yaml-language-server: $schema=PATH/exdef.schema.json`.';
  static override examples = [
    { description: 'Save the schema next to your definitions', command: '<%= config.bin %> schema > exdef.schema.json' },
    { description: "Print the catalogue format's schema instead", command: '<%= config.bin %> schema --catalogue' },
  ];
  static override flags = {
    catalogue: Flags.boolean({ description: 'Print the schema of the catalogue format' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Schema);
    process.stdout.write(readFileSync(flags.catalogue ? resources.catalogueSchema : resources.definitionSchema, 'utf8'));
  }
}
