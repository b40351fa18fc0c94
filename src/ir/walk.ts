import type { IrExpr } from './expression.js';

/** Where the walk is when it visits a node. */
export interface WalkPlace {
  /**
   * The nodes from the root down to the node's parent, outermost first. The walk's own stack:
   * read it during the visit, copy it to keep it.
   */
  ancestors: readonly IrExpr[];
  /**
   * Relation names from the expression's table to the node's scope: the relations of each
   * enclosing exists(...), in order (a column's own path is on the column).
   */
  relationPath: readonly string[];
}

/** What a visitor returns: 'skip' leaves the node's children out of the walk. */
export type WalkControl = void | 'skip';

/** The direct children of a node, in source order (an exists body is a child of the exists). */
export function childrenOf(node: IrExpr): IrExpr[] {
  switch (node.kind) {
    case 'call':
      return node.args;
    case 'not':
    case 'negate':
    case 'isNull':
    case 'inCodeSet':
      return [node.operand];
    case 'binary':
      return [node.left, node.right];
    case 'inList':
      return [node.operand, ...node.items];
    case 'between':
      return [node.operand, node.low, node.high];
    case 'exists':
      return node.where ? [node.where] : [];
    case 'column':
    case 'literal':
      return [];
  }
}

/**
 * The one traversal of the expression IR: visits every node depth first, parents before their
 * children, with the ancestors and the relation path into exists(...) bodies. Every consumer that
 * needs "each column", "each node" or "the function around this column" builds on it, so a new
 * node kind is added to childrenOf and nowhere else.
 */
export function walkIr(expression: IrExpr | undefined, visit: (node: IrExpr, place: WalkPlace) => WalkControl): void {
  const ancestors: IrExpr[] = [];
  const step = (node: IrExpr, relationPath: readonly string[]) => {
    if (visit(node, { ancestors, relationPath }) === 'skip') return;
    const inner = node.kind === 'exists' ? [...relationPath, ...node.relation.map((r) => r.relation)] : relationPath;
    ancestors.push(node);
    for (const child of childrenOf(node)) step(child, inner);
    ancestors.pop();
  };
  if (expression) step(expression, []);
}

/**
 * The operands of a chain of one associative operator, flattened: `a or (b or c)` gives a, b, c.
 * `isLink` says which nodes are links of the chain; works for expressions and ECL alike.
 */
export function chainOperands<T extends { kind: string }>(node: T, isLink: (n: T) => boolean): T[] {
  if (!isLink(node)) return [node];
  // A link of a binary chain has both sides (binary expressions, ECL and/or/minus).
  const link = node as T & { left: T; right: T };
  return [...chainOperands(link.left, isLink), ...chainOperands(link.right, isLink)];
}
