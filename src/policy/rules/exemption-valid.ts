import { listOr } from '../../diagnostics/suggest.js';
import { exemptionProblems } from '../exemptions.js';
import type { RuleModule } from '../rule.js';
import { RULES } from './index.js';

export const exemptionValid: RuleModule = {
  meta: {
    id: 'exemption-valid',
    category: 'exemptions',
    description: 'An exemption names a rule that can be exempted, a legal basis and a justification (and, from sensitive-codes, one of the policy\'s code sets); otherwise it exempts nothing.',
    rationale:
      'Seed 002 allows sensitive information only "with a clear legal basis" and "an explicit justification". Hard rules — free text, documents, control columns, PDS-sensitive patients, confidential items — have no such route: "there is no mechanism to ensure this type of legal information is not exported" (DESIGN.md: no exemption or policy file can lift them).',
    source: 'seed 002; DESIGN.md (Policy: hard rules; exemptions)',
    triggers: 'An exemption names an unknown rule or a hard rule, lacks legal_basis or justification, names no or an unknown code_set for sensitive-codes, or has expired.',
    defaultSeverity: 'error',
    hard: false,
    messages: {
      'unknown-rule': 'the exemption names `{rule}`, which is not a rule',
      'hard-rule': '`{rule}` is a hard rule: no exemption can lift it',
      'no-legal-basis': 'the exemption from `{rule}` gives no legal basis (legal_basis)',
      'no-justification': 'the exemption from `{rule}` gives no justification',
      'no-code-set': 'an exemption from sensitive-codes must name the code set it admits (code_set: one of {sets})',
      'unknown-code-set': '`{set}` is not a sensitive code set of the policy (one of {sets})',
      expired: 'the exemption from `{rule}` expired on {expires}',
    },
    examples: {
      failing: { yaml: 'exemptions:\n  - rule: no-free-text\n    legal_basis: Consent of the patient.\n    justification: The comment holds the reading context.', note: 'no-free-text is a hard rule.' },
      passing: {
        yaml: 'exemptions:\n  - rule: sensitive-codes\n    code_set: hiv_sti\n    legal_basis: Health Service (Control of Patient Information) Regulations 2002, regulation 3 (communicable disease).\n    justification: The sexual health service needs HIV status to plan its clinics.',
      },
    },
  },
  check({ definition, policy, today, report, spanAt }) {
    const sets = listOr(policy.sensitiveCodeSets.map((s) => s.name));
    definition.exemptions.forEach((exemption, i) => {
      for (const problem of exemptionProblems(exemption, policy, today)) {
        const key = problem.kind === 'no-code-set' || problem.kind === 'unknown-code-set' ? 'code_set' : problem.kind === 'expired' ? 'expires' : problem.kind === 'no-legal-basis' ? 'legal_basis' : problem.kind === 'no-justification' ? 'justification' : 'rule';
        // A missing key is reported at the rule the exemption names.
        const written = definition.source.spans[`/exemptions/${i}/${key}`];
        const span = written ?? spanAt(`/exemptions/${i}/rule`);
        const hints =
          problem.kind === 'unknown-rule' || problem.kind === 'hard-rule'
            ? [`rules that can be exempted: ${RULES.filter((r) => !r.meta.hard).map((r) => r.meta.id).join(', ')}`]
            : undefined;
        report({
          messageId: problem.kind,
          params: { rule: exemption.rule, set: exemption.codeSet ?? '', sets, expires: exemption.expires ?? '' },
          ...(span ? { span } : {}),
          ...(hints ? { hints } : {}),
        });
      }
    });
  },
};
