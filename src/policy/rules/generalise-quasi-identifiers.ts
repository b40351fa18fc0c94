import type { IrExpr } from '../../ir/expression.js';
import { walkIr } from '../../ir/walk.js';
import { exposures, type Exposure } from '../../resolve/exposure.js';
import { columnName, expressionSites } from '../expression-sites.js';
import type { RuleModule } from '../rule.js';

export const generaliseQuasiIdentifiers: RuleModule = {
  meta: {
    id: 'generalise-quasi-identifiers',
    category: 'minimisation',
    description:
      'In indirect care, dates of birth and death and full postcodes are generalised: year, month or age band of a date; the district of a postcode. A value computed from one keeps its precision unless a generalising function is applied to the column itself.',
    rationale:
      'Seed 002: consumers "must select the minimum data and fields required for the use case" and consider the risk of "singling out". A full date of birth with a full postcode identifies almost everyone; year of birth, age band and postcode district serve population analysis as well. Arithmetic does not generalise: `date_of_birth + 1` or `coalesce(date_of_birth, date_of_death)` is still the full date, and arithmetic inside a generalising function can scale the date before it is cut (`year(d + (date_of_birth - d) * 365)` is the day of birth).',
    source: 'seed 002 (Minimisation of Data Egress; singling out)',
    triggers:
      'care_type is indirect and a field reads a full date (date_of_birth, date_of_death) or a full postcode somewhere other than directly inside year(), month(), age_years(), age_band(), postcode_district() or pseudonym() (coalesce(), case changes and shifts by a constant are allowed in between); or a filter tests one for equality (`postcode = \'LS1 4AP\'`, `date_of_birth in (...)`).',
    defaultSeverity: 'warning',
    hard: false,
    messages: {
      date: '`{field}` exposes the full {column}: {suggestion} would do for most analyses',
      postcode: '`{field}` exposes the full postcode {column}: postcode_district({column}) locates by neighbourhood without singling out a household',
      filter: 'the filter of {where} picks patients by their exact {column}: an exact date or postcode singles out a person or a household',
    },
    examples: {
      failing: { yaml: 'datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: date_of_birth\n        value: date_of_birth + 0\n        justification: Age drives the risk models.' },
      passing: { yaml: 'datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: birth_year\n        value: year(date_of_birth)\n        justification: Age drives the risk models.' },
    },
  },
  check({ definition, catalogue, report, spanAt }) {
    if (definition.careType !== 'indirect') return;
    for (const site of expressionSites(definition, catalogue.population.patient.table)) {
      if (site.role !== 'field') {
        for (const e of exactMatches(site.expression)) {
          const span = e.node.span ?? spanAt(site.pointer);
          report({
            messageId: 'filter',
            params: { where: site.dataset ? `dataset \`${site.dataset}\`` : 'the population', column: columnName(e.column) },
            ...(span ? { span } : {}),
            hints: ['select by a range (date_of_birth < ...), an age or an area (postcode_district(...) = ...), not by one exact value'],
          });
        }
        continue;
      }
      const field = `${site.dataset}.${site.field!.name}`;
      const reported = new Set<string>();
      for (const e of exposures(site.expression)) {
        if (e.column.classification !== 'quasi_identifier' || e.protection !== 'raw') continue;
        const name = columnName(e.column);
        if (reported.has(name)) continue;
        const span = spanAt(site.pointer);
        const at = { ...(span ? { span } : {}), scope: { field } };
        if (e.node.type === 'date' || e.node.type === 'timestamp') {
          reported.add(name);
          report({
            messageId: 'date',
            params: { field, column: name, suggestion: `year(${name}), month(${name}) or age_band(${name})` },
            ...at,
            hints: [`write value: year(${name}) (or month(...), age_band(...)) unless the exact date is needed, and say why in the justification`],
          });
        } else if (e.column.format === 'postcode') {
          reported.add(name);
          report({ messageId: 'postcode', params: { field, column: name }, ...at, hints: [`write value: postcode_district(${name})`] });
        }
      }
    }
  },
};

/** A full date or postcode, read as it is. */
const precise = (e: Exposure) => e.column.classification === 'quasi_identifier' && e.protection === 'raw' && (e.node.type === 'date' || e.node.type === 'timestamp' || e.column.format === 'postcode');

/**
 * Full dates and postcodes that a filter tests for equality (`=`, `in`), whatever the other side:
 * `date_of_birth = date '1980-05-12' + 0 * sex_code` picks one day as surely as a constant does.
 * Ranges are left alone (an age cohort is a range of birth dates).
 */
function exactMatches(expression: IrExpr): Exposure[] {
  const found: Exposure[] = [];
  walkIr(expression, (node) => {
    if (node.kind === 'binary' && node.op === '=') found.push(...exposures(node.left).filter(precise), ...exposures(node.right).filter(precise));
    else if (node.kind === 'inList' && !node.negated) found.push(...exposures(node).filter(precise));
    else return undefined;
    return 'skip';
  });
  return found;
}
