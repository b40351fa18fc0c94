import type { RuleModule } from '../rule.js';
import { columnUses } from '../column-uses.js';

export const pdsSensitiveNever: RuleModule = {
  meta: {
    id: 'pds-sensitive-never',
    category: 'hard',
    description: 'Patients marked sensitive on PDS are never extracted, and their flag is never read by a definition.',
    rationale:
      'The IM1 Bulk Extract guide, "Included Patient Records": "a patient record will not be sent if the patient is ... Marked as Sensitive on the NHS PDS." The compiler excludes these patients from every query; a definition that reads the flag would either reveal who is sensitive or try to select them.',
    source: 'IM1 Bulk Extract guide (Included Patient Records)',
    triggers: "A field or a filter reads the patient's PDS sensitive flag (patient.pds_sensitive).",
    defaultSeverity: 'error',
    hard: true,
    messages: { read: "`{column}` is the PDS sensitive flag: PDS-sensitive patients are never extracted and the flag is not readable ({where})" },
    examples: {
      failing: { yaml: 'population:\n  registration: permanent\n  deceased: exclude\n  type1_opt_out: respect\n  practices: [A81001, A81002, A81003]\n  where: pds_sensitive = false' },
      passing: { yaml: 'population:\n  registration: permanent\n  deceased: exclude\n  type1_opt_out: respect\n  practices: [A81001, A81002, A81003]', note: 'PDS-sensitive patients are excluded without asking.' },
    },
  },
  check({ definition, catalogue, report }) {
    const flag = catalogue.population.patient;
    for (const use of columnUses(definition, catalogue)) {
      if (use.table !== flag.table || use.column !== flag.pdsSensitive) continue;
      report({ messageId: 'read', params: { column: use.name, where: use.where }, ...(use.span ? { span: use.span } : {}), hints: ['remove it: exdef excludes PDS-sensitive patients from every extract'] });
    }
  },
};
