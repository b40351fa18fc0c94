import { problemSpan, quoteText, textProblems } from '../meaningful-text.js';
import type { RuleModule } from '../rule.js';

export const deceasedExcluded: RuleModule = {
  meta: {
    id: 'deceased-excluded',
    category: 'population',
    description: 'Deceased patients are excluded unless the definition gives a reason to include them.',
    rationale: 'Seed 002: the extract definition must say whether deceased patients are included; DESIGN.md: "deceased excluded unless justified". A deceased patient has no direct care to plan.',
    source: 'seed 002 (Data Extract Definition); DESIGN.md (Policy 6)',
    triggers: 'population.deceased is include without a deceased_justification. A justification given for it that says nothing — a placeholder (n/a, TBC, "-"), a stock phrase, hidden or look-alike characters, lorem ipsum or keyboard mashing, repeated words, or too few words (the same check as justification-meaningful) — counts as none and is reported where it is written.',
    defaultSeverity: 'error',
    hard: false,
    messages: {
      meaningless: 'deceased_justification ("{text}") does not justify including deceased patients: {detail}',
      unjustified: 'deceased: include needs a reason (deceased_justification)',
    },
    examples: {
      failing: { yaml: 'population:\n  registration: permanent\n  deceased: include\n  type1_opt_out: respect\n  practices: [A81001, A81002, A81003]' },
      passing: {
        yaml: 'population:\n  registration: permanent\n  deceased: include\n  deceased_justification: Mortality review of the cohort needs the patients who died.\n  type1_opt_out: respect\n  practices: [A81001, A81002, A81003]',
      },
    },
  },
  check({ definition, policy, report, spanAt }) {
    const p = definition.population;
    if (p.deceased === 'include' && !p.deceasedJustification?.trim()) {
      const span = spanAt('/population/deceased');
      report({ messageId: 'unjustified', params: {}, ...(span ? { span } : {}), hints: ['add population.deceased_justification, or use deceased: exclude'] });
    }
    if (p.deceased === 'include' && p.deceasedJustification?.trim()) {
      // A justification that says nothing is no justification (meaningful-text.ts).
      const problem = textProblems(p.deceasedJustification, 'justification', policy)[0];
      if (problem) {
        const span = problemSpan(definition, '/population/deceased_justification', problem, spanAt);
        report({ messageId: 'meaningless', params: { text: quoteText(p.deceasedJustification), detail: problem.detail }, ...(span ? { span } : {}), hints: ['say why this population needs it, in words a reviewer can check'] });
      }
    }
  },
};
