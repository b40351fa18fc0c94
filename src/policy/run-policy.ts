import type { Catalogue } from '../catalogue/catalogue.js';
import type { Diagnostic, Severity } from '../diagnostics/diagnostic.js';
import type { ExtractDefinition } from '../ir/extract-definition.js';
import { spanAt } from '../resolve/resolve-definition.js';
import type { CodeSetIndex } from './code-sets.js';
import { exemptionProblems } from './exemptions.js';
import type { Policy } from './policy.js';
import { formatMessage, type Finding, type RuleModule } from './rule.js';
import { RULES } from './rules/index.js';

export interface PolicyOptions {
  policy: Policy;
  catalogue: Catalogue;
  /** The date every date check is made on (YYYY-MM-DD). */
  today: string;
  codeSets: CodeSetIndex;
  rules?: readonly RuleModule[];
}

/** A rule's severity under a policy; hard rules are always errors. */
export function effectiveSeverity(rule: RuleModule, policy: Policy): Severity | 'off' {
  if (rule.meta.hard) return 'error';
  return policy.severity[rule.meta.id] ?? rule.meta.defaultSeverity;
}

/**
 * Runs every rule of the policy over a resolved definition. A finding covered by a valid
 * exemption (see exemptions.ts) is reported as information that says so; hard rules are never
 * exempted.
 */
export function runPolicy(definition: ExtractDefinition, options: PolicyOptions): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const exemptions = definition.exemptions.filter((e) => exemptionProblems(e, options.policy, options.today).length === 0);
  for (const rule of options.rules ?? RULES) {
    const severity = effectiveSeverity(rule, options.policy);
    if (severity === 'off') continue;
    const findings: Finding[] = [];
    rule.check({
      definition,
      catalogue: options.catalogue,
      policy: options.policy,
      today: options.today,
      codeSets: options.codeSets,
      report: (finding) => findings.push(finding),
      spanAt: (pointer, prefer) => spanAt(definition, pointer, prefer),
    });
    for (const finding of findings) {
      const template = rule.meta.messages[finding.messageId];
      if (template === undefined) throw new Error(`internal: rule ${rule.meta.id} has no message ${finding.messageId}`);
      let message = formatMessage(template, finding.params);
      // The rule's severity under the policy, or the finding's own milder level when it gives one.
      let level: Severity = finding.severity && RANK[finding.severity] < RANK[severity] ? finding.severity : severity;
      const exemption = rule.meta.hard ? undefined : exemptions.find((e) => covers(e, rule.meta.id, finding));
      const hints = [...(finding.hints ?? [])];
      if (exemption && level !== 'info') {
        message = `${message} — exempted: ${exemption.justification ?? ''}`.trimEnd();
        hints.unshift(`exemption from ${rule.meta.id}${exemption.codeSet ? ` for ${exemption.codeSet}` : ''}, legal basis: ${exemption.legalBasis ?? ''}`);
        level = 'info';
      }
      const diagnostic: Diagnostic = { code: rule.meta.id, severity: level, message, stage: 'policy', params: finding.params };
      const span = finding.span ?? spanAt(definition, '');
      if (span) diagnostic.span = span;
      if (hints.length > 0) diagnostic.hints = hints;
      diagnostics.push(diagnostic);
    }
  }
  return diagnostics;
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

function covers(exemption: ExtractDefinition['exemptions'][number], rule: string, finding: Finding): boolean {
  if (exemption.rule !== rule) return false;
  if (finding.scope?.codeSet !== undefined) return exemption.codeSet === finding.scope.codeSet;
  if (finding.scope?.field !== undefined && exemption.fields) {
    const [dataset, field] = finding.scope.field.split('.') as [string, string];
    return exemption.fields.some((f) => f === finding.scope!.field || f === field || f === dataset);
  }
  return exemption.codeSet === undefined;
}
