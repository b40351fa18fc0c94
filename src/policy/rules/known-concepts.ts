import type { Ecl, IrExpr } from '../../ir/expression.js';
import { walkExpression } from '../../ir/expression.js';
import type { Span } from '../../source/source-file.js';
import { expressionSites } from '../expression-sites.js';
import type { RuleModule } from '../rule.js';

function* concepts(ecl: Ecl): Generator<{ id: string; span?: Span }> {
  switch (ecl.kind) {
    case 'concept':
      yield { id: ecl.id, ...(ecl.span ? { span: ecl.span } : {}) };
      return;
    case 'or':
    case 'and':
    case 'minus':
      yield* concepts(ecl.left);
      yield* concepts(ecl.right);
      return;
    default:
      yield* concepts(ecl.operand);
  }
}

function* conceptsIn(expression: IrExpr): Generator<{ id: string; span?: Span }> {
  for (const node of walkExpression(expression)) {
    if (node.kind === 'inCodeSet') yield* concepts(node.codeSet);
    if (node.kind === 'literal' && node.type === 'code') yield { id: String(node.value), ...(node.span ? { span: node.span } : {}) };
  }
}

export const knownConcepts: RuleModule = {
  meta: {
    id: 'known-concepts',
    category: 'sensitive-codes',
    description: 'Every concept a definition names exists and is active in the terminology lint uses.',
    rationale:
      'Sensitive codes are recognised through the terminology (the IM1 Data Protection Policy names refsets and hierarchies). A concept the terminology does not know cannot be checked against the sensitive sets, and an inactive one selects nothing new: both are usually typos or out-of-date code lists.',
    source: 'IM1 Data Protection Policy (sensitive code sets); exdef design brief (Policy 8)',
    triggers: 'A concept id in a code set or comparison is not in the loaded terminology, or is inactive.',
    defaultSeverity: 'warning',
    hard: false,
    messages: {
      unknown: 'concept {id} is not in {terminology}: it cannot be checked against the sensitive code sets',
      inactive: 'concept {id}{name} is inactive in {terminology}',
    },
    examples: {
      failing: { yaml: "datasets:\n  - name: readings\n    from: observation\n    where: code in << 22298006 |Myocardial infarction| OR << 1234567009\n    fields:\n      - name: condition_code\n        value: code\n        justification: Identifies the condition recorded." , note: '1234567009 is well formed but not a concept of the terminology.' },
      passing: { yaml: "datasets:\n  - name: readings\n    from: observation\n    where: code in << 22298006 |Myocardial infarction|\n    fields:\n      - name: condition_code\n        value: code\n        justification: Identifies the condition recorded." },
    },
  },
  check({ definition, codeSets, report }) {
    for (const site of expressionSites(definition)) {
      for (const { id, span } of conceptsIn(site.expression)) {
        const info = codeSets.concept(id);
        const at = span ? { span } : {};
        if (!info.known) report({ messageId: 'unknown', params: { id, terminology: codeSets.description }, ...at, hints: ['check the id, or lint with --terminology DIR to use a full SNOMED CT release'] });
        else if (!info.active) report({ messageId: 'inactive', params: { id, name: info.fsn ? ` |${info.fsn}|` : '', terminology: codeSets.description }, ...at, hints: ['use the concept that replaced it'] });
      }
    }
  },
};
