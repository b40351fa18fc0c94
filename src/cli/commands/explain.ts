import { Args, Flags } from '@oclif/core';
import { referenceCatalogue } from '../../catalogue/load-catalogue.js';
import { didYouMean } from '../../diagnostics/suggest.js';
import { ExdefError } from '../../failure.js';
import { lintDefinitionText, prepareLint } from '../../pipeline/lint-definition.js';
import { applyExample } from '../../policy/rule-examples.js';
import { RULES } from '../../policy/rules/index.js';
import { todayUtc } from '../../seed/calendar.js';
import { ExdefCommand } from '../exdef-command.js';

export default class Explain extends ExdefCommand {
  static override summary = 'Explain a policy rule (why it exists, what triggers it, examples) or a diagnostic code';
  static override description = 'Prints the rule\'s rationale (citing the policy text), what triggers it, its severity, a definition fragment that fails it — with the finding lint reports for it — and one that passes.';
  static override examples = [
    { description: 'Why may free text never be extracted?', command: '<%= config.bin %> explain no-free-text' },
    { description: 'The sensitive-code rule, with its examples checked as of a date', command: '<%= config.bin %> explain sensitive-codes --today 2026-11-21' },
  ];
  static override args = {
    rule: Args.string({ description: 'The rule id (see `exdef rules`) or a diagnostic code (docs/rules/codes.md)', required: true }),
  };
  static override flags = {
    today: Flags.string({ description: 'The date the examples are checked on (YYYY-MM-DD; default: today)', helpValue: 'DATE' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Explain);
    const rule = RULES.find((r) => r.meta.id === args.rule);
    if (!rule) {
      // Not a policy rule: a code of another check (syntax, format, names), explained from its definition.
      const { allCodes } = await import('../../diagnostics/all-codes.js');
      const { messageTemplate, STAGE_SUBJECTS } = await import('../../diagnostics/code-docs.js');
      const code = allCodes().get(args.rule);
      if (!code) {
        const known = [...RULES.map((r) => r.meta.id), ...allCodes().keys()];
        throw new ExdefError(`\`${args.rule}\` is not a rule or a diagnostic code${didYouMean(args.rule, known)}`, { exitCode: 2, hints: ['`exdef rules` lists the rules; docs/rules/codes.md the other codes'] });
      }
      const template = messageTemplate(code);
      process.stdout.write(
        [
          `${args.rule} — a ${code.stage} check: ${STAGE_SUBJECTS[code.stage]} (not a policy rule)`,
          '',
          `Severity: ${code.severity}`,
          ...(template ? ['', 'It reports', `    ${template}`] : []),
          '',
          "The message says what is wrong at file:line:col and its hint how to fix it. Every code: docs/rules/codes.md.",
          '',
        ].join('\n'),
      );
      return;
    }
    const m = rule.meta;
    const { context } = await prepareLint({ catalogue: referenceCatalogue(), today: flags.today ?? todayUtc() });
    const findings = context ? lintDefinitionText('example.exdef.yaml', applyExample(m.examples.failing), context).diagnostics.filter((d) => d.code === m.id) : [];
    const indent = (text: string) => text.split('\n').map((l) => `    ${l}`).join('\n');
    const out = [
      `${m.id} — ${m.description}`,
      '',
      `Severity: ${m.hard ? 'error, always (a hard rule: no policy file or exemption can lift it)' : `${m.defaultSeverity} by default (a policy file can change it; ${context?.policy.exemptable.some((e) => e.rule === m.id) ? 'a valid exemption can lift it' : 'the policy lets no exemption lift it'})`}`,
      `Category: ${m.category}`,
      `Source:   ${m.source}`,
      '',
      'Why',
      indent(m.rationale),
      '',
      'What triggers it',
      indent(m.triggers),
      '',
      `Fails (with the ${m.examples.failing.base === 'direct' ? 'direct-care' : 'indirect-care'} example definition)${m.examples.failing.note ? ` — ${m.examples.failing.note}` : ''}`,
      indent(m.examples.failing.yaml),
      ...(findings.length > 0 ? ['', '  lint reports:', ...findings.map((d) => `    ${d.severity}: ${d.message}`)] : []),
      '',
      `Passes${m.examples.passing.note ? ` — ${m.examples.passing.note}` : ''}`,
      indent(m.examples.passing.yaml),
      '',
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  }
}
