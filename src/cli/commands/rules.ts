import { Flags } from '@oclif/core';
import { RULES } from '../../policy/rules/index.js';
import { ExdefCommand } from '../exdef-command.js';
import { jsonFlag } from '../shared-flags.js';
import { textTable } from '../text-table.js';

export default class Rules extends ExdefCommand {
  static override summary = 'List the rules of the IM1 policy that lint applies';
  static override description = 'Each rule has a stable id (what exemptions, policy files and CI configurations name), a category and a default severity. Hard rules are always errors: no policy file or exemption can lift them. `exdef explain RULE` explains one.';
  static override examples = [
    { description: 'All rules', command: '<%= config.bin %> rules' },
    { description: 'The hard rules only, as JSON', command: '<%= config.bin %> rules --hard --json' },
  ];
  static override flags = {
    hard: Flags.boolean({ description: 'Only the hard rules' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Rules);
    const rules = RULES.filter((r) => !flags.hard || r.meta.hard);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(rules.map((r) => ({ id: r.meta.id, category: r.meta.category, severity: r.meta.defaultSeverity, hard: r.meta.hard, description: r.meta.description, source: r.meta.source })), null, 2)}\n`);
      return;
    }
    process.stdout.write(textTable(['rule', 'category', 'severity', 'description'], rules.map((r) => [r.meta.id, r.meta.category, r.meta.hard ? 'error (hard)' : r.meta.defaultSeverity, r.meta.description])));
  }
}
