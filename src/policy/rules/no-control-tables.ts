import type { RuleModule } from '../rule.js';
import { protectedTableUses } from '../table-uses.js';

export const noControlTables: RuleModule = {
  meta: {
    id: 'no-control-tables',
    category: 'hard',
    description: 'Control tables (the policy\'s own records, such as opt-outs) are out whole: never selected, joined, counted or tested with exists().',
    rationale:
      'The exdef design brief, "Policy" 5 and "Non-interference": a control table records the patients\' own choices (the IM1 Data Protection Policy, "Patient Consent & Type 1 Opt-out"). Any row of it — even only its keys, a count, or the fact that one exists for a patient — tells the recipient who opted out. exdef reads it itself, to take the opted out out of the population, and nowhere else.',
    source: 'exdef design brief (Policy 5, Non-interference); IM1 Data Protection Policy (Patient Consent & Type 1 Opt-out)',
    triggers:
      'A dataset reads from a table the catalogue classifies `class: control` (opt_out in the reference catalogue), or a field or filter — the population filter included, at any depth — reaches one through a relation path or tests it with exists(...). (A JOIN into one is refused when the definition is resolved.)',
    defaultSeverity: 'error',
    hard: true,
    messages: {
      from: 'dataset {where} reads `{table}`, a control table (the policy\'s own records), whose rows are never extracted',
      relation: '`{name}` leads to `{table}`, a control table (the policy\'s own records), which a definition never reads ({where})',
      exists: 'exists({name}) tests `{table}`, a control table (the policy\'s own records): whether such a row exists is itself what must not leave ({where})',
    },
    examples: {
      failing: {
        yaml: 'population:\n  registration: permanent\n  deceased: exclude\n  type1_opt_out: respect\n  on_opt_back_in: no_backfill\n  practices: [A81001, A81002, A81003]\n  where: not exists(opt_outs)\n',
        note: 'Whether a patient has opt-out records is itself the opt-out: it is never tested.',
      },
      passing: {
        yaml: 'population:\n  registration: permanent\n  deceased: exclude\n  type1_opt_out: respect\n  on_opt_back_in: no_backfill\n  practices: [A81001, A81002, A81003]\n',
        note: 'exdef applies opt-outs itself, from the population settings.',
      },
    },
  },
  check({ definition, catalogue, report }) {
    for (const use of protectedTableUses(definition, catalogue)) {
      if (use.classification !== 'control') continue;
      report({
        messageId: use.route,
        params: { table: use.table, name: use.name, where: use.where },
        ...(use.span ? { span: use.span } : {}),
        hints: ['remove it: opt-outs and other policy records are applied by exdef from the population settings, and nothing about them is extracted'],
      });
    }
  },
};
