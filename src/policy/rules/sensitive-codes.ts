import type { Ecl, IrExpr } from '../../ir/expression.js';
import type { Span } from '../../source/source-file.js';
import type { CodeSetIndex } from '../code-sets.js';
import { expressionSites } from '../expression-sites.js';
import type { Finding, RuleModule } from '../rule.js';

/** The OR-branches of a code set: a sensitive set hidden inside an OR is still asked for. */
function disjuncts(ecl: Ecl): Ecl[] {
  return ecl.kind === 'or' ? [...disjuncts(ecl.left), ...disjuncts(ecl.right)] : [ecl];
}

/** The code sets an expression tests, each with whether it selects them (positive) or avoids them. */
function* testedCodeSets(expression: IrExpr, positive = true): Generator<{ ecl: Ecl; positive: boolean; span?: Span }> {
  switch (expression.kind) {
    case 'inCodeSet':
      for (const d of disjuncts(expression.codeSet)) yield { ecl: d, positive: positive !== expression.negated, ...(d.span ? { span: d.span } : {}) };
      return;
    case 'inList':
      if (expression.operand.type !== 'code') return;
      for (const item of expression.items) {
        if (item.kind === 'literal') yield { ecl: { kind: 'concept', id: String(item.value) }, positive: positive !== expression.negated, ...(item.span ? { span: item.span } : {}) };
      }
      return;
    case 'binary':
      if ((expression.op === '=' || expression.op === '<>') && (expression.left.type === 'code' || expression.right.type === 'code')) {
        const literal = expression.left.kind === 'literal' ? expression.left : expression.right.kind === 'literal' ? expression.right : undefined;
        if (literal) yield { ecl: { kind: 'concept', id: String(literal.value) }, positive: positive === (expression.op === '='), ...(literal.span ? { span: literal.span } : {}) };
        return;
      }
      yield* testedCodeSets(expression.left, positive);
      yield* testedCodeSets(expression.right, positive);
      return;
    case 'not':
      yield* testedCodeSets(expression.operand, !positive);
      return;
    case 'exists':
      if (expression.where) yield* testedCodeSets(expression.where, positive);
      return;
    case 'call':
      for (const a of expression.args) yield* testedCodeSets(a, positive);
      return;
    default:
      return;
  }
}

/** Which sensitive sets a set of concepts lies inside, or meets. */
export function sensitiveOverlap(concepts: ReadonlySet<string>, index: CodeSetIndex): { inside: string[]; meets: { name: string; count: number }[] } {
  const meets: { name: string; count: number }[] = [];
  const covered = new Set<string>();
  for (const { set, concepts: sensitive } of index.sensitive) {
    let count = 0;
    for (const c of concepts) {
      if (sensitive.has(c)) {
        count++;
        covered.add(c);
      }
    }
    if (count > 0) meets.push({ name: set.name, count });
  }
  const inside = concepts.size > 0 && covered.size === concepts.size ? meets.map((m) => m.name) : [];
  return { inside, meets };
}

export const sensitiveCodes: RuleModule = {
  meta: {
    id: 'sensitive-codes',
    category: 'sensitive-codes',
    description:
      "A definition does not ask for the policy's sensitive codes (gender reassignment, sexuality, HIV/STI, termination of pregnancy, assisted fertilisation) unless an exemption names the set and a legal basis; they are excluded at run time whatever the filter says.",
    rationale:
      'Seed 002: "Unless there is a clear legal basis, the following information is not available via bulk extracts": gender reassignment (refsets 999004351000000109, 1955851000000101), sexuality (descendants of 118199002, 365957000, 118200004, 171023003), HIV status (refset 999004381000000103) and the RCGP sensitive dataset (termination of pregnancy, assisted fertilisation). "Without an explicit justification, no sensitive medical records will be included (e.g. codes on RCGP exclusion lists)" (NHS Act 2006 s251). The sets are data, in the policy file.',
    source: 'seed 002 (sensitive medical records; information not available via bulk extracts)',
    triggers:
      'A field or filter tests a code set (<<, <, ^, =, in (...), a branch of an OR, a set thinned with MINUS) that lies inside a sensitive set: an error. A broad set that merely contains sensitive concepts: information. A filter that excludes sensitive codes: a warning, as it has no effect.',
    defaultSeverity: 'error',
    hard: false,
    messages: {
      asks: 'this code set asks for {title} codes (sensitive set `{set}`), which are never extracted without an exemption naming the set and its legal basis',
      broad: '{count} concept{plural} of this code set {verb} sensitive ({sets}) and will be excluded at run time',
      negated: 'excluding {title} codes (sensitive set `{set}`) has no effect: they are removed at run time whatever a filter says, so this filter excludes nobody because of them',
    },
    examples: {
      failing: {
        yaml: "datasets:\n  - name: readings\n    from: observation\n    where: code in (<< 73211009 |Diabetes mellitus| OR ^ 999004381000000103)\n    fields:\n      - name: condition_code\n        value: code\n        justification: Identifies the condition recorded.",
        note: 'The HIV/STI refset is hidden inside an OR.',
      },
      passing: {
        yaml: "datasets:\n  - name: readings\n    from: observation\n    where: code in << 73211009 |Diabetes mellitus|\n    fields:\n      - name: condition_code\n        value: code\n        justification: Identifies the condition recorded.",
      },
    },
  },
  check({ definition, codeSets, report, policy }) {
    // "Sexuality" reads as "sexuality" mid-sentence; "HIV status" keeps its capitals.
    const titles = new Map(policy.sensitiveCodeSets.map((s) => [s.name, /^[A-Z][a-z]/.test(s.title) ? s.title[0]!.toLowerCase() + s.title.slice(1) : s.title]));
    for (const site of expressionSites(definition)) {
      for (const tested of testedCodeSets(site.expression)) {
        const concepts = codeSets.evaluate(tested.ecl);
        const { inside, meets } = sensitiveOverlap(concepts, codeSets);
        const at: Partial<Finding> = tested.span ? { span: tested.span } : {};
        if (inside.length > 0) {
          for (const set of inside) {
            report({
              messageId: tested.positive ? 'asks' : 'negated',
              params: { set, title: titles.get(set) ?? set },
              ...at,
              ...(tested.positive ? { scope: { codeSet: set } } : { severity: 'warning' as const }),
              hints: tested.positive
                ? [`remove these codes, or add an exemption: { rule: sensitive-codes, code_set: ${set}, legal_basis: ..., justification: ... }`]
                : ['remove the condition: exdef keeps sensitive codes out of every extract on its own'],
            });
          }
        } else if (meets.length > 0 && tested.positive) {
          const count = meets.reduce((n, m) => n + m.count, 0);
          report({
            messageId: 'broad',
            params: { count, plural: count === 1 ? '' : 's', verb: count === 1 ? 'is' : 'are', sets: meets.map((m) => m.name).join(', ') },
            ...at,
            severity: 'info',
          });
        }
      }
    }
  },
};
