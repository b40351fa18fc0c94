import { listOr } from '../../diagnostics/suggest.js';
import { exemptionProblems } from '../exemptions.js';
import { conditionsHint } from '../legal-basis.js';
import type { RuleModule } from '../rule.js';

export const exemptionValid: RuleModule = {
  meta: {
    id: 'exemption-valid',
    category: 'exemptions',
    description:
      "An exemption waives only a rule the policy lets exemptions waive, with a real legal basis (an Article 6 and an Article 9 condition from the closed lists and the reference of a notice or approval), a justification, an expiry that has not passed and a scope (the datasets, and fields, where it applies); otherwise it exempts nothing.",
    rationale:
      'The IM1 Data Protection Policy allows sensitive information only "with a clear legal basis" and "an explicit justification", and Type 1 opt-outs to be overridden only where "there is a statutory data provision notice which overrides this". The policy file, not the definition, says which rules an exemption may touch (`exemptable`; the IM1 policy: the sensitive code sets, and the Type 1 override under a statutory notice). Hard rules — free text, documents, control columns, PDS-sensitive patients, confidential items — have no such route (the exdef design brief: no exemption or policy file can lift them), and neither do governance, use case, schedule, justification, identifier or exemption rules. A legal basis lasts as long as its notice or approval: an exemption expires, and it applies only where it says.',
    source: 'IM1 Data Protection Policy; exdef design brief (Policy: hard rules; exemptions)',
    triggers:
      'An exemption names an unknown rule, a hard rule or a rule the policy does not list under exemptable; names no, an unknown or a not exemptable code_set for sensitive-codes; lacks legal_basis, cites an Article 6 or 9 condition not in the lists, or no notice or approval reference (a notice for type1-opt-out), or a placeholder reference (n/a, TBC, -, ...); lacks a meaningful justification; has no expiry, has expired or expires further ahead than the policy allows; or names no datasets, a dataset or field that does not exist, a field that reads no coded column of the table of its dataset (the compiler releases a set only on coded columns the named fields read, so a field like a date or a value would be named as exempted while its guard stays), or (from type1-opt-out) not every dataset.',
    defaultSeverity: 'error',
    hard: false,
    messages: {
      'unknown-rule': 'the exemption names `{rule}`, which is not a rule',
      'hard-rule': '`{rule}` is a hard rule: no exemption can lift it',
      'not-exemptable': 'the policy does not let an exemption waive `{rule}`: {why}',
      'no-code-set': 'an exemption from sensitive-codes must name the code set it admits (code_set: one of {sets})',
      'unknown-code-set': '`{set}` is not a sensitive code set of the policy (one of {sets})',
      'code-set-not-exemptable': 'the policy does not let an exemption release `{set}` (only {exemptableSets})',
      'code-set-other-rule': 'code_set belongs to an exemption from sensitive-codes, not from `{rule}`',
      'no-legal-basis': 'the exemption from `{rule}` gives no legal basis (legal_basis: article_6, article_9 and a notice or approval)',
      'no-article-6': 'the legal basis of the exemption from `{rule}` gives no UK GDPR Article 6 condition (legal_basis.article_6)',
      'no-article-9': 'the legal basis of the exemption from `{rule}` gives no UK GDPR Article 9 condition (legal_basis.article_9)',
      'unknown-article-6': '`{text}` is not a UK GDPR Article 6(1) condition',
      'unknown-article-9': '`{text}` is not a UK GDPR Article 9(2) condition',
      'no-reference': 'the legal basis of the exemption from `{rule}` cites no notice or approval (legal_basis.notice or legal_basis.approval)',
      'needs-notice': 'an exemption from `{rule}` is valid only under a statutory notice (legal_basis.notice); an approval is not enough',
      'placeholder-reference': '`{text}` is not the reference of a notice or approval: a reference identifies the document',
      'invisible-text': 'the {what} holds characters a reader cannot see (zero-width or control characters)',
      'no-justification': 'the exemption from `{rule}` gives no justification',
      'placeholder-justification': 'the justification of the exemption from `{rule}` says nothing about why it is needed',
      'no-expiry': 'the exemption from `{rule}` has no expiry date (expires): it lasts only as long as its legal basis',
      expired: 'the exemption from `{rule}` expired on {expires}',
      'invalid-expiry': '{expires} is not a date that exists',
      'expiry-too-far': 'the exemption from `{rule}` expires on {expires}, more than {months} months ahead: set an expiry by {latest}',
      'no-datasets': 'the exemption from `{rule}` names no datasets (datasets): it applies only where it says',
      'unknown-dataset': '`{name}` is not a dataset of this definition',
      'unknown-field': '`{name}` is not a field of this definition (write dataset.field)',
      'field-outside-scope': '`{name}` is a field of `{dataset}`, which the exemption does not name in datasets',
      'field-not-coded': '`{name}` reads no code of `{dataset}`: no sensitive code can be released there, so the exemption would exempt nothing it names',
      'population-wide': 'the Type 1 override changes the population, which every dataset reads: the exemption must name every dataset (missing: {missing})',
      'fields-not-allowed': 'an exemption from `{rule}` applies to the whole population: it cannot be limited to fields',
    },
    examples: {
      failing: {
        yaml: "exemptions:\n  - rule: governance-complete\n    datasets: [people]\n    legal_basis:\n      article_6: 6(1)(e) public task\n      article_9: 9(2)(h) management of health care systems\n      approval: n/a\n    justification: The DPIA is still being written by the ICB.\n    expires: 2027-03-31",
        note: 'The policy does not let an exemption waive governance-complete, and n/a is not the reference of an approval.',
      },
      passing: {
        yaml: "exemptions:\n  - rule: sensitive-codes\n    code_set: hiv_sti\n    datasets: [blood_pressure]\n    legal_basis:\n      article_6: 6(1)(e) public task\n      article_9: 9(2)(i) public health\n      approval: CAG 21/CAG/0123 (s251 support)\n    justification: The sexual health service needs HIV status to plan its clinics.\n    expires: 2027-03-31",
      },
    },
  },
  check({ definition, policy, exemptionDate, report, spanAt }) {
    const sets = listOr(policy.sensitiveCodeSets.map((s) => s.name));
    definition.exemptions.forEach((exemption, i) => {
      // In the order they are written, whichever syntax.
      const located = exemptionProblems(exemption, definition, policy, exemptionDate)
        .map((problem) => ({
          problem,
          // A missing part is reported at the key of what should hold it (legal_basis:, datasets:).
          span: spanAt(`/exemptions/${i}/${problem.at}`, CONTAINERS.has(problem.at) ? 'key' : 'value'),
        }))
        .sort((a, b) => (a.span?.start.offset ?? 0) - (b.span?.start.offset ?? 0));
      for (const { problem, span } of located) {
        const allowed = policy.exemptable.find((e) => e.rule === exemption.rule);
        report({
          messageId: problem.kind,
          params: {
            rule: exemption.rule,
            set: exemption.codeSet ?? '',
            sets,
            exemptableSets: listOr(allowed?.codeSets ?? policy.sensitiveCodeSets.map((s) => s.name)),
            expires: exemption.expires ?? '',
            ...problem.params,
          },
          ...(span ? { span } : {}),
          ...(HINTS[problem.kind] ? { hints: HINTS[problem.kind]!(policy.exemptable.map((e) => `${e.rule} (${e.reference === 'notice' ? 'under a statutory notice' : 'under a notice or an approval'})`)) } : {}),
        });
      }
    });
  },
};

const CONTAINERS = new Set(['legal_basis', 'datasets', 'fields']);

const HINTS: Partial<Record<string, (exemptable: string[]) => string[]>> = {
  'unknown-rule': (e) => [`rules the policy lets exemptions waive: ${e.join(', ') || 'none'}`],
  'hard-rule': (e) => [`rules the policy lets exemptions waive: ${e.join(', ') || 'none'}`],
  'not-exemptable': (e) => [`rules the policy lets exemptions waive: ${e.join(', ') || 'none'}`],
  'no-article-6': () => [conditionsHint(6)],
  'unknown-article-6': () => [conditionsHint(6)],
  'no-article-9': () => [conditionsHint(9)],
  'unknown-article-9': () => [conditionsHint(9)],
  'no-reference': () => ['cite the statutory notice (legal_basis.notice, e.g. a data provision notice) or the approval (legal_basis.approval, e.g. CAG 21/CAG/0123 for s251 support)'],
  'needs-notice': () => ['cite the statutory notice in legal_basis.notice (e.g. the data provision notice and its reference)'],
  'placeholder-reference': () => ['write the reference the document is known by, e.g. CAG 21/CAG/0123 or DPN 2024-017'],
  'no-expiry': () => ['add expires: YYYY-MM-DD, no later than the expiry of the notice or approval'],
  'no-datasets': () => ['add datasets: [the datasets it applies in]'],
  'field-not-coded': () => ['name the field that shows the code (e.g. dataset.code), or leave fields out to release the set on every coded column of the datasets named'],
};
