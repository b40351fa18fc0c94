import { columnsRead } from '../../ir/expression.js';
import { walkIr } from '../../ir/walk.js';
import { columnName, expressionSites } from '../expression-sites.js';
import { problemSpan, quoteText, textProblems } from '../meaningful-text.js';
import type { RuleModule } from '../rule.js';

export const deceasedExcluded: RuleModule = {
  meta: {
    id: 'deceased-excluded',
    category: 'population',
    description: 'Deceased patients are excluded unless the definition gives a reason to include them; a definition that excludes them does not read the date of death.',
    rationale:
      'The IM1 Data Protection Policy: the extract definition must say whether deceased patients are included; the exdef design brief: "deceased excluded unless justified". A deceased patient has no direct care to plan. With `deceased: exclude` every date of death in the population is empty, so a field or filter that reads it either says nothing or reaches patients the population left out: either way the definition contradicts itself, and the reviewer cannot tell which was meant.',
    source: 'IM1 Data Protection Policy (Data Extract Definition); exdef design brief (Policy 6)',
    triggers: 'population.deceased is include without a deceased_justification, or with one that says nothing (a placeholder, a stock phrase, hidden characters, too few words: the same check as justification-meaningful); or deceased is exclude and a field or filter (anywhere, through relations and exists) reads the date of death.',
    defaultSeverity: 'error',
    hard: false,
    messages: {
      meaningless: 'deceased_justification ("{text}") does not justify including deceased patients: {detail}',
      unjustified: 'deceased: include needs a reason (deceased_justification)',
      deathField: '`{field}` reads `{column}`, the date of death, but the population excludes deceased patients (deceased: exclude)',
      deathFilter: 'the filter of {where} reads `{column}`, the date of death, but the population excludes deceased patients (deceased: exclude)',
    },
    examples: {
      failing: { yaml: 'population:\n  registration: permanent\n  deceased: include\n  type1_opt_out: respect\n  practices: [A81001, A81002, A81003]' },
      passing: {
        yaml: 'population:\n  registration: permanent\n  deceased: include\n  deceased_justification: Mortality review of the cohort needs the patients who died.\n  type1_opt_out: respect\n  practices: [A81001, A81002, A81003]',
      },
    },
  },
  check({ definition, catalogue, policy, report, spanAt }) {
    const p = definition.population;
    if (p.deceased === 'include') {
      if (!p.deceasedJustification?.trim()) {
        const span = spanAt('/population/deceased');
        report({ messageId: 'unjustified', params: {}, ...(span ? { span } : {}), hints: ['add population.deceased_justification, or use deceased: exclude'] });
      } else {
        // A justification that says nothing is no justification (meaningful-text.ts).
        const problem = textProblems(p.deceasedJustification, 'justification', policy)[0];
        if (problem) {
          const span = problemSpan(definition, '/population/deceased_justification', problem, spanAt);
          report({ messageId: 'meaningless', params: { text: quoteText(p.deceasedJustification), detail: problem.detail }, ...(span ? { span } : {}), hints: ['say why this population needs it, in words a reviewer can check'] });
        }
      }
      return;
    }
    const death = catalogue.population.patient;
    for (const site of expressionSites(definition, death.table)) {
      const where = site.role === 'field' ? `${site.dataset}.${site.field!.name}` : site.dataset ? `dataset \`${site.dataset}\`` : 'the population';
      const reads = columnsRead(site.expression).filter((c) => c.table === death.table && c.column === death.dateOfDeath);
      if (reads.length === 0) continue;
      const hints = ['remove it, or include deceased patients (deceased: include with a deceased_justification)'];
      if (site.role === 'field') {
        const span = spanAt(site.pointer);
        report({ messageId: 'deathField', params: { field: where, column: columnName(reads[0]!) }, ...(span ? { span } : {}), scope: { field: where }, hints });
        continue;
      }
      walkIr(site.expression, (node, at) => {
        if (node.kind !== 'column' || node.table !== death.table || node.column !== death.dateOfDeath) return;
        const span = node.span ?? spanAt(site.pointer);
        report({ messageId: 'deathFilter', params: { where, column: columnName({ path: [...at.relationPath, ...node.path], column: node.column }) }, ...(span ? { span } : {}), hints });
      });
    }
  },
};
