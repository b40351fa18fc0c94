import { findTable } from '../../catalogue/catalogue.js';
import type { RuleModule } from '../rule.js';
import { columnUses } from '../column-uses.js';

export const noControlColumns: RuleModule = {
  meta: {
    id: 'no-control-columns',
    category: 'hard',
    description: 'Control columns (policy flags such as opt-out records) are never extracted and never used in filters.',
    rationale:
      'The exdef design brief, "Policy" 5: control columns carry the policy\'s own flags — opt-outs, PDS sensitivity, confidentiality — that exdef applies itself. Extracting them would disclose a patient\'s choices (the IM1 Data Protection Policy, "Patient Consent & Type 1 Opt-out"); filtering on them would override the guards.',
    source: 'exdef design brief (Policy 5); IM1 Data Protection Policy (Patient Consent & Type 1 Opt-out)',
    triggers: 'A field or a filter reads a column classified control other than the PDS and confidential flags (which have rules of their own): opt_out.opt_out_type, opt_out.effective_from, opt_out.effective_to.',
    defaultSeverity: 'error',
    hard: true,
    messages: {
      field: '`{column}` is a control column (the policy\'s own flag), which is never extracted (field {where})',
      filter: '`{column}` is a control column (the policy\'s own flag), which cannot be used in a filter ({where})',
    },
    examples: {
      failing: { yaml: 'datasets:\n  - name: readings\n    from: observation\n    where: exists(patient.opt_outs where opt_out_type = \'type1\')\n    fields:\n      - name: reading_code\n        value: code\n        justification: Tells systolic from diastolic readings.\n      - name: reading_month\n        value: month(effective_date)\n        justification: The month is precise enough for recency of control.\n', note: 'Selecting on opt-outs reveals who opted out.' },
      passing: { yaml: 'datasets:\n  - name: readings\n    from: observation\n    where: code in << 75367002\n    fields:\n      - name: reading_code\n        value: code\n        justification: Tells systolic from diastolic readings.\n      - name: reading_month\n        value: month(effective_date)\n        justification: The month is precise enough for recency of control.\n', note: 'exdef applies opt-outs itself, from the population settings.' },
    },
  },
  check({ definition, catalogue, report }) {
    const pds = catalogue.population.patient;
    for (const use of columnUses(definition, catalogue)) {
      if (use.classification !== 'control') continue;
      if (use.table === pds.table && use.column === pds.pdsSensitive) continue;
      if (findTable(catalogue, use.table)?.confidentialColumn === use.column) continue;
      report({
        messageId: use.role,
        params: { column: use.name, where: use.where },
        ...(use.span ? { span: use.span } : {}),
        hints: ['remove it: opt-outs and other policy flags are applied by exdef from the population settings'],
      });
    }
  },
};
