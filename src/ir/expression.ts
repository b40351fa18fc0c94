import type { Classification, CodeSystem } from '../catalogue/catalogue.js';
import { walkIr } from './walk.js';
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
  /** What the text of the column is, when the catalogue says (an NHS number, a postcode). */
  format?: 'nhs_number' | 'postcode';
  /**
   * The column is a key of a patient's record (a primary key, or a reference to one, in a
   * patient-linked table): an internal identifier, set by the catalogue, not by its name.
   */
  recordKey?: true;
}

/** The fixed function list of the expression language (src/resolve/functions.ts gives each its signature). */
export type FunctionName = 'today' | 'year' | 'month' | 'age_years' | 'age_band' | 'postcode_district' | 'pseudonym' | 'coalesce' | 'lower' | 'upper' | 'round' | 'abs' | 'date_of';

interface CallBase {
  kind: 'call';
  /** Every argument as written, literal parameters included (printers and SQL read them in order). */
  args: IrExpr[];
  type: ValueType;
  span?: Span;
}

/**
 * A function call. Functions with a literal parameter carry it parsed, once, beside the
 * arguments: the age band width (5 when not written) and the pseudonym key name.
 */
export type CallExpr =
  | (CallBase & { fn: 'age_band'; width: number })
  | (CallBase & { fn: 'pseudonym'; key: string })
  | (CallBase & { fn: Exclude<FunctionName, 'age_band' | 'pseudonym'> });

export type IrExpr =
  | { kind: 'literal'; type: ValueType; value: string | boolean | null; span?: Span }
  | ({ kind: 'column'; type: ValueType; span?: Span } & ColumnRef)
  | CallExpr
  | { kind: 'not'; operand: IrExpr; type: 'boolean'; span?: Span }
  | { kind: 'negate'; operand: IrExpr; type: ValueType; span?: Span }
  | { kind: 'binary'; op: '=' | '<>' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | 'and' | 'or'; left: IrExpr; right: IrExpr; type: ValueType; span?: Span }
  | { kind: 'isNull'; operand: IrExpr; negated: boolean; type: 'boolean'; span?: Span }
  | { kind: 'inList'; operand: IrExpr; items: IrExpr[]; negated: boolean; type: 'boolean'; span?: Span }
  | { kind: 'inCodeSet'; operand: IrExpr; codeSet: Ecl; negated: boolean; type: 'boolean'; span?: Span }
  | { kind: 'between'; operand: IrExpr; low: IrExpr; high: IrExpr; negated: boolean; type: 'boolean'; span?: Span }
  | { kind: 'exists'; relation: RelationStep[]; table: string; where?: IrExpr; type: 'boolean'; span?: Span };

export type ColumnExpr = Extract<IrExpr, { kind: 'column' }>;

/**
 * What the resolver derives from what is written (a call's parsed literal parameter, the catalogue's
 * facts about a column). Meaning comparisons and fingerprints leave them out: they add nothing the
 * written expression and the catalogue do not already say (src/ir/fingerprint.ts).
 */
export function isDerivedKey(owner: object, key: string): boolean {
  if ((owner as { kind?: unknown }).kind === 'call') return key === 'width' || key === 'key';
  // Column nodes and the column references of a field's sources.
  if ('column' in owner && 'classification' in owner) return key === 'format' || key === 'recordKey';
  return false;
}

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

/** The column as a reference (without its node's type and span). */
export function columnRef(node: ColumnExpr, prefix: readonly string[] = []): ColumnRef {
  return {
    path: [...prefix, ...node.path],
    table: node.table,
    column: node.column,
    classification: node.classification,
    ...(node.codeSystem ? { codeSystem: node.codeSystem } : {}),
    ...(node.format ? { format: node.format } : {}),
    ...(node.recordKey ? { recordKey: node.recordKey } : {}),
  };
}

/** Every column an expression reads, including inside exists(...) (with the relation path to it). */
export function columnsRead(expression: IrExpr | undefined): ColumnRef[] {
  const found: ColumnRef[] = [];
  walkIr(expression, (node, at) => {
    if (node.kind === 'column') found.push(columnRef(node, at.relationPath));
  });
  return found;
}

/** Every node of an expression, depth first (exists bodies included). */
export function* walkExpression(expression: IrExpr | undefined): Generator<IrExpr> {
  const nodes: IrExpr[] = [];
  walkIr(expression, (node) => {
    nodes.push(node);
  });
  yield* nodes;
}
