import { findColumn, findTable } from '../../catalogue/catalogue.js';
import { columnName } from '../expression-sites.js';
import type { RuleModule } from '../rule.js';

export const generaliseQuasiIdentifiers: RuleModule = {
  meta: {
    id: 'generalise-quasi-identifiers',
    category: 'minimisation',
    description: 'In indirect care, dates of birth and death and full postcodes are generalised: year, month or age band of a date; the district of a postcode.',
    rationale:
      'Seed 002: consumers "must select the minimum data and fields required for the use case" and consider the risk of "singling out". A full date of birth with a full postcode identifies almost everyone; year of birth, age band and postcode district serve population analysis as well.',
    source: 'seed 002 (Minimisation of Data Egress; singling out)',
    triggers: 'care_type is indirect and a field exposes a full date (date_of_birth, date_of_death) or a full postcode without year(), month(), age_years(), age_band() or postcode_district().',
    defaultSeverity: 'warning',
    hard: false,
    messages: {
      date: '`{field}` exposes the full {column}: {suggestion} would do for most analyses',
      postcode: '`{field}` exposes the full postcode {column}: postcode_district({column}) locates by neighbourhood without singling out a household',
    },
    examples: {
      failing: { yaml: 'datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: date_of_birth\n        value: date_of_birth\n        justification: Age drives the risk models.' },
      passing: { yaml: 'datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: birth_year\n        value: year(date_of_birth)\n        justification: Age drives the risk models.' },
    },
  },
  check({ definition, catalogue, report, spanAt }) {
    if (definition.careType !== 'indirect') return;
    definition.datasets.forEach((dataset, i) => {
      dataset.fields.forEach((field, j) => {
        if (field.transform !== 'none' && field.transform !== 'computed') return;
        for (const source of field.sources) {
          if (source.classification !== 'quasi_identifier') continue;
          const column = findTable(catalogue, source.table) && findColumn(findTable(catalogue, source.table)!, source.column);
          if (!column) continue;
          const span = spanAt(`/datasets/${i}/fields/${j}/value`);
          const name = columnName(source);
          const at = { ...(span ? { span } : {}), scope: { field: `${dataset.name}.${field.name}` } };
          if (column.type === 'date') {
            report({
              messageId: 'date',
              params: { field: `${dataset.name}.${field.name}`, column: name, suggestion: `year(${name}), month(${name}) or age_band(${name})` },
              ...at,
              hints: [`write value: year(${name}) (or month(...), age_band(...)) unless the exact date is needed, and say why in the justification`],
            });
          } else if (column.format === 'postcode') {
            report({ messageId: 'postcode', params: { field: `${dataset.name}.${field.name}`, column: name }, ...at, hints: [`write value: postcode_district(${name})`] });
          }
        }
      });
    });
  },
};
