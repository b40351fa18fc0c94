import type { Classification, CodeSystem } from '../catalogue/catalogue.js';
import type { Span } from '../source/source-file.js';

/** The types of the expression language. `code` is a SNOMED CT (or dm+d) concept identifier. */
export type ValueType = 'boolean' | 'integer' | 'numeric' | 'text' | 'date' | 'timestamp' | 'interval' | 'code' | 'binary' | 'null';

/** A column reached from the scope's table through zero or more to-one relations. */
export interface ColumnRef {
  /** Relation names followed from the scope's table (empty for its own columns). */
  path: string[];
  /** The table the column belongs to (the end of the path). */
  table: string;
  column: string;
  classification: Classification;
  codeSystem?: CodeSystem;
}

export type IrExpr =
  | { kind: 'literal'; type: ValueType; value: string | boolean | null; span?: Span }
  | ({ kind: 'column'; type: ValueType; span?: Span } & ColumnRef)
  | { kind: 'call'; fn: string; args: IrExpr[]; type: ValueType; span?: Span }
  | { kind: 'not'; operand: IrExpr; type: 'boolean'; span?: Span }
  | { kind: 'negate'; operand: IrExpr; type: ValueType; span?: Span }
  | { kind: 'binary'; op: '=' | '<>' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | 'and' | 'or'; left: IrExpr; right: IrExpr; type: ValueType; span?: Span }
  | { kind: 'isNull'; operand: IrExpr; negated: boolean; type: 'boolean'; span?: Span }
  | { kind: 'inList'; operand: IrExpr; items: IrExpr[]; negated: boolean; type: 'boolean'; span?: Span }
  | { kind: 'inCodeSet'; operand: IrExpr; codeSet: Ecl; negated: boolean; type: 'boolean'; span?: Span }
  | { kind: 'between'; operand: IrExpr; low: IrExpr; high: IrExpr; negated: boolean; type: 'boolean'; span?: Span }
  | { kind: 'exists'; relation: RelationStep[]; table: string; where?: IrExpr; type: 'boolean'; span?: Span };

/** One step along a relation: the relation's name, the table it is declared on and where it leads. */
export interface RelationStep {
  relation: string;
  from: string;
  to: string;
  cardinality: 'one' | 'many';
  /** Where the relation path is written (exists(...)), so a finding can point at it. */
  span?: Span;
}

/** An ECL code set, resolved: concept ids checked for form; terms kept for people, not meaning. */
export type Ecl =
  | { kind: 'concept'; id: string; term?: string; span?: Span }
  | { kind: 'descendantOrSelf' | 'descendant' | 'memberOf'; operand: Ecl; span?: Span }
  | { kind: 'or' | 'and' | 'minus'; left: Ecl; right: Ecl; span?: Span };

/** Every column an expression reads, including inside exists(...) (with the relation path to it). */
export function columnsRead(expression: IrExpr | undefined): ColumnRef[] {
  const found: ColumnRef[] = [];
  const visit = (node: IrExpr, prefix: string[]) => {
    switch (node.kind) {
      case 'column':
        found.push({ path: [...prefix, ...node.path], table: node.table, column: node.column, classification: node.classification, ...(node.codeSystem ? { codeSystem: node.codeSystem } : {}) });
        return;
      case 'call':
        node.args.forEach((a) => visit(a, prefix));
        return;
      case 'not':
      case 'negate':
      case 'isNull':
        visit(node.operand, prefix);
        return;
      case 'binary':
        visit(node.left, prefix);
        visit(node.right, prefix);
        return;
      case 'inList':
        visit(node.operand, prefix);
        node.items.forEach((i) => visit(i, prefix));
        return;
      case 'inCodeSet':
        visit(node.operand, prefix);
        return;
      case 'between':
        visit(node.operand, prefix);
        visit(node.low, prefix);
        visit(node.high, prefix);
        return;
      case 'exists':
        if (node.where) visit(node.where, [...prefix, ...node.relation.map((r) => r.relation)]);
        return;
      case 'literal':
        return;
    }
  };
  if (expression) visit(expression, []);
  return found;
}

/** Every node of an expression, depth first (exists bodies included). */
export function* walkExpression(expression: IrExpr | undefined): Generator<IrExpr> {
  if (!expression) return;
  yield expression;
  switch (expression.kind) {
    case 'call':
      for (const a of expression.args) yield* walkExpression(a);
      return;
    case 'not':
    case 'negate':
    case 'isNull':
      yield* walkExpression(expression.operand);
      return;
    case 'binary':
      yield* walkExpression(expression.left);
      yield* walkExpression(expression.right);
      return;
    case 'inList':
      yield* walkExpression(expression.operand);
      for (const i of expression.items) yield* walkExpression(i);
      return;
    case 'inCodeSet':
      yield* walkExpression(expression.operand);
      return;
    case 'between':
      yield* walkExpression(expression.operand);
      yield* walkExpression(expression.low);
      yield* walkExpression(expression.high);
      return;
    case 'exists':
      yield* walkExpression(expression.where);
      return;
    default:
      return;
  }
}
