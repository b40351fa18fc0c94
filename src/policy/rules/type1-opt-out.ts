import { statutoryNotice } from '../legal-basis.js';
import { problemSpan, quoteText, textProblems } from '../meaningful-text.js';
import type { RuleModule } from '../rule.js';

export const type1OptOut: RuleModule = {
  meta: {
    id: 'type1-opt-out',
    category: 'population',
    description: 'Type 1 opt-outs are respected, unless the extract is for direct care or a statutory data provision notice overrides them — and then only with a justification.',
    rationale:
      'The IM1 Data Protection Policy, "Patient Consent & Type 1 Opt-out": "Patients with Type 1 opt-out will not be included in the extract unless the use case is direct care OR there is a statutory data provision notice which overrides this."',
    source: 'IM1 Data Protection Policy (Patient Consent & Type 1 Opt-out)',
    triggers:
      'population.type1_opt_out is override and either care_type is indirect with no legal_basis.data_provision_notice that is a real reference (a placeholder, or a notice that is requested, pending, awaited, applied for, in draft, to follow or TBC, or a "see ..." pointer, counts as none: governance-complete reports it), or there is no type1_opt_out_justification. The first can also be met by a valid exemption from type1-opt-out, which the policy allows only under a statutory notice (legal_basis.notice) and only naming every dataset; no exemption stands in for the justification. A justification that says nothing — a placeholder (n/a, TBC, "-"), a stock phrase, hidden or look-alike characters, lorem ipsum or keyboard mashing, repeated words, or too few words (the same check as justification-meaningful) — counts as none and is reported where it is written.',
    defaultSeverity: 'error',
    hard: false,
    messages: {
      meaningless: 'type1_opt_out_justification ("{text}") does not justify overriding Type 1 opt-outs: {detail}',
      notAllowed: 'Type 1 opt-outs can be overridden only for direct care or under a statutory data provision notice; this is indirect care without one (a data_provision_notice that is not a reference counts as none)',
      unjustified: 'overriding Type 1 opt-outs needs a justification (type1_opt_out_justification)',
    },
    examples: {
      failing: { yaml: 'population:\n  registration: permanent\n  deceased: exclude\n  type1_opt_out: override\n  type1_opt_out_justification: The warehouse needs complete data.\n  practices: [A81001, A81002, A81003]' },
      passing: { yaml: 'population:\n  registration: permanent\n  deceased: exclude\n  type1_opt_out: respect\n  practices: [A81001, A81002, A81003]' },
    },
  },
  check({ definition, policy, report, spanAt }) {
    const p = definition.population;
    if (p.type1OptOut !== 'override') return;
    const span = spanAt('/population/type1_opt_out');
    const at = span ? { span } : {};
    // A notice that is not a reference (a placeholder, "requested", "TBC") is no notice.
    if (definition.careType === 'indirect' && !statutoryNotice(definition, policy)) {
      report({
        messageId: 'notAllowed',
        params: {},
        ...at,
        hints: ['use type1_opt_out: respect, or cite the notice in legal_basis.data_provision_notice (or in an exemption from type1-opt-out: legal_basis.notice, every dataset, an expiry)'],
      });
    }
    if (!p.type1OptOutJustification?.trim()) report({ messageId: 'unjustified', params: {}, ...at, hints: ['add population.type1_opt_out_justification'] });
    if (p.type1OptOut === 'override' && p.type1OptOutJustification?.trim()) {
      // A justification that says nothing is no justification (meaningful-text.ts).
      const problem = textProblems(p.type1OptOutJustification, 'justification', policy)[0];
      if (problem) {
        const span = problemSpan(definition, '/population/type1_opt_out_justification', problem, spanAt);
        report({ messageId: 'meaningless', params: { text: quoteText(p.type1OptOutJustification), detail: problem.detail }, ...(span ? { span } : {}), hints: ['say why this population needs it, in words a reviewer can check'] });
      }
    }
  },
};
