import { statutoryNotice } from '../legal-basis.js';
import { problemSpan, quoteText, textProblems } from '../meaningful-text.js';
import type { RuleModule } from '../rule.js';

export const nationalDataOptOut: RuleModule = {
  meta: {
    id: 'national-data-opt-out',
    category: 'population',
    description: 'Indirect-care extracts respect the National Data Opt-out, unless the law requires the disclosure (a statutory notice) — and then only with a justification.',
    rationale:
      'The IM1 Data Protection Policy distinguishes direct from indirect care because consent can be implied only for direct care. The National Data Opt-out lets patients refuse the use of their data beyond their individual care; it applies to indirect care (planning, research, risk stratification) unless the disclosure is required by law.',
    source: 'IM1 Data Protection Policy (Definitions; Patient Consent); exdef design brief (Policy 6)',
    triggers: 'care_type is indirect and population.national_data_opt_out is not_applicable without a legal_basis.data_provision_notice that is a real reference (a placeholder, or a notice that is requested, pending, awaited, applied for, in draft, to follow or TBC, or a "see ..." pointer, counts as none: governance-complete reports it) or without a national_data_opt_out_justification. A justification given for it that says nothing — a placeholder (n/a, TBC, "-"), a stock phrase, hidden or look-alike characters, lorem ipsum or keyboard mashing, repeated words, or too few words (the same check as justification-meaningful) — counts as none and is reported where it is written.',
    defaultSeverity: 'error',
    hard: false,
    messages: {
      meaningless: 'national_data_opt_out_justification ("{text}") does not justify setting the National Data Opt-out aside: {detail}',
      notAllowed: 'indirect care must respect the National Data Opt-out unless a statutory notice requires the disclosure; none is given (a data_provision_notice that is not a reference counts as none)',
      unjustified: 'setting the National Data Opt-out aside needs a justification (national_data_opt_out_justification)',
    },
    examples: {
      failing: { yaml: 'population:\n  registration: permanent\n  deceased: exclude\n  type1_opt_out: respect\n  national_data_opt_out: not_applicable\n  practices: [A81001, A81002, A81003]' },
      passing: { yaml: 'population:\n  registration: permanent\n  deceased: exclude\n  type1_opt_out: respect\n  national_data_opt_out: respect\n  practices: [A81001, A81002, A81003]' },
    },
  },
  check({ definition, policy, report, spanAt }) {
    const p = definition.population;
    if (definition.careType !== 'indirect' || p.nationalDataOptOut !== 'not_applicable') return;
    const span = spanAt('/population/national_data_opt_out');
    const at = span ? { span } : {};
    // A notice that is not a reference (a placeholder, "requested", "TBC") is no notice.
    const notice = statutoryNotice(definition, policy);
    if (!notice) {
      report({ messageId: 'notAllowed', params: {}, ...at, hints: ['use national_data_opt_out: respect, or cite the notice in legal_basis.data_provision_notice'] });
    } else if (!p.nationalDataOptOutJustification?.trim()) {
      report({ messageId: 'unjustified', params: {}, ...at, hints: ['add population.national_data_opt_out_justification'] });
    }
    if (notice && p.nationalDataOptOutJustification?.trim()) {
      // A justification that says nothing is no justification (meaningful-text.ts).
      const problem = textProblems(p.nationalDataOptOutJustification, 'justification', policy)[0];
      if (problem) {
        const span = problemSpan(definition, '/population/national_data_opt_out_justification', problem, spanAt);
        report({ messageId: 'meaningless', params: { text: quoteText(p.nationalDataOptOutJustification), detail: problem.detail }, ...(span ? { span } : {}), hints: ['say why this population needs it, in words a reviewer can check'] });
      }
    }
  },
};
