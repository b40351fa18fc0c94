import { problemSpan, quoteText, textProblems } from '../meaningful-text.js';
import type { RuleModule } from '../rule.js';

export const registrationPermanent: RuleModule = {
  meta: {
    id: 'registration-permanent',
    category: 'population',
    description: 'Only permanently registered patients are extracted, unless the definition gives an explicit reason for all registrations.',
    rationale:
      'The IM1 Data Protection Policy: "Data will only be shared for permanently registered patients at a GP Practice unless there is an explicit reason which overrides this (for example, a payment related extract that includes all procedures done) - this must be defined in the data extract definition with clear justification." Patients who are not currently registered are never extracted (the IM1 Bulk Extract guide).',
    source: 'IM1 Data Protection Policy (Patient Consent); IM1 Bulk Extract guide (Included Patient Records)',
    triggers: 'population.registration is all without a registration_justification. A justification given for it that says nothing — a placeholder (n/a, TBC, "-"), a stock phrase, hidden or look-alike characters, lorem ipsum or keyboard mashing, repeated words, or too few words (the same check as justification-meaningful) — counts as none and is reported where it is written.',
    defaultSeverity: 'error',
    hard: false,
    messages: {
      meaningless: 'registration_justification ("{text}") does not justify extracting all registrations: {detail}',
      unjustified: 'registration: all extracts temporary and emergency registrations too, which needs an explicit reason (registration_justification)',
    },
    examples: {
      failing: { yaml: 'population:\n  registration: all\n  deceased: exclude\n  type1_opt_out: respect\n  practices: [A81001, A81002, A81003]' },
      passing: {
        yaml: 'population:\n  registration: all\n  registration_justification: Temporary residents with diabetes are due reviews while registered.\n  deceased: exclude\n  type1_opt_out: respect\n  practices: [A81001, A81002, A81003]',
      },
    },
  },
  check({ definition, policy, report, spanAt }) {
    const p = definition.population;
    if (p.registration === 'all' && !p.registrationJustification?.trim()) {
      const span = spanAt('/population/registration');
      report({ messageId: 'unjustified', params: {}, ...(span ? { span } : {}), hints: ['add population.registration_justification, or use registration: permanent'] });
    }
    if (p.registration === 'all' && p.registrationJustification?.trim()) {
      // A justification that says nothing is no justification (meaningful-text.ts).
      const problem = textProblems(p.registrationJustification, 'justification', policy)[0];
      if (problem) {
        const span = problemSpan(definition, '/population/registration_justification', problem, spanAt);
        report({ messageId: 'meaningless', params: { text: quoteText(p.registrationJustification), detail: problem.detail }, ...(span ? { span } : {}), hints: ['say why this population needs it, in words a reviewer can check'] });
      }
    }
  },
};
