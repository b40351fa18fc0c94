import { Document, isMap, isPair, isScalar, isSeq, Scalar, type Node } from 'yaml';
import { commentPlace, pathOfPointer, pointer, TAIL_COMMENTS } from '../parse/definition-source.js';
import { definitionSchema } from '../resolve/resolve-definition.js';
import type { PrintableDefinition } from './print-exdef.js';
import { printExpression, printExpressionBlock } from './print-expression.js';
import type { ExprAst } from '../parse/expression-ast.js';

type SchemaNode = { properties?: Record<string, SchemaNode>; items?: SchemaNode; $ref?: string; 'x-order'?: string[]; oneOf?: SchemaNode[] };

/** Top-level keys that start a group, with a blank line before them (as the examples are laid out). */
const GROUP_STARTS = new Set(['use_case', 'population', 'mode', 'output', 'datasets', 'exemptions']);

/** A text that does not fit on its key's line within this width is written as a folded block. */
const LINE_WIDTH = 100;

/**
 * The canonical YAML of a definition: keys in the schema's order, two-space indentation,
 * long texts as folded blocks, expressions in canonical form (never folded), every comment kept
 * where it was written.
 */
export function printYaml(definition: PrintableDefinition): string {
  const schema = definitionSchema() as SchemaNode & { definitions?: Record<string, SchemaNode> };
  const resolveRef = (node: SchemaNode | undefined): SchemaNode | undefined => {
    if (node?.$ref) return schema.definitions?.[node.$ref.replace('#/definitions/', '')];
    return node;
  };
  const ordered = (value: unknown, node: SchemaNode | undefined, path: (string | number)[]): unknown => {
    const schemaNode = resolveRef(node);
    if (Array.isArray(value)) return value.map((item, i) => ordered(item, schemaNode?.items, [...path, i]));
    if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      const objectSchema = schemaNode?.properties ? schemaNode : schemaNode?.oneOf?.find((o) => o.properties);
      const order = objectSchema?.['x-order'] ?? Object.keys(objectSchema?.properties ?? {});
      const keys = [...order.filter((k) => k in record), ...Object.keys(record).filter((k) => !order.includes(k))];
      return Object.fromEntries(keys.map((k) => [k, ordered(record[k], objectSchema?.properties?.[k], [...path, k])]));
    }
    if (typeof value === 'string') {
      const ast = definition.expressions.get(pointer(path));
      return ast ? printExpression(ast) : value;
    }
    return value;
  };
  const doc = new Document(ordered(definition.document, schema, []));
  const root = doc.contents;
  // Blank lines between groups, flow style for the practice list, block scalars for long texts.
  if (isMap(root)) {
    root.items.forEach((pair, i) => {
      if (i > 0 && isPair(pair) && isScalar(pair.key) && GROUP_STARTS.has(String(pair.key.value))) pair.key.spaceBefore = true;
    });
  }
  decorate(root, [], 0, 0, definition.expressions);
  placeComments(doc, root, definition.comments);
  // A double-quoted text stays on one line: yaml's folding of multi-line double-quoted texts
  // loses characters when a line break is followed by a space ("a\n \nb").
  return doc.toString({ lineWidth: LINE_WIDTH, minContentWidth: 40, indentSeq: true, flowCollectionPadding: false, doubleQuotedMinMultiLineLength: Infinity });
}

/** Puts every comment back where it was: before, after or inside the part it belongs to. */
function placeComments(doc: Document, root: unknown, comments: ReadonlyMap<string, readonly string[]>): void {
  // yaml writes a comment line ' ' as a bare `#` and '' as a blank line.
  const joinLines = (lines: readonly string[]) => lines.map((l) => ` ${l}`).join('\n');
  const append = (existing: string | null | undefined, text: string) => (existing ? `${existing}\n${text}` : text);
  const orphans: string[] = [];
  for (const [key, lines] of comments) {
    const text = joinLines(lines);
    if (key === '') {
      doc.commentBefore = append(doc.commentBefore, text);
      continue;
    }
    if (key === TAIL_COMMENTS) {
      orphans.push(text);
      continue;
    }
    const { at, place } = commentPlace(key);
    const path = pathOfPointer(at);
    if (place === 'before') {
      const target = keyNode(root, path);
      if (target) target.commentBefore = append(target.commentBefore, text);
      else orphans.push(text);
      continue;
    }
    const found = partAt(root, path);
    const target = place === 'after-key' ? found?.key : found?.value;
    if (!target) orphans.push(text);
    else if (place === 'before-value') target.commentBefore = append(target.commentBefore, text);
    else target.comment = append(target.comment, text);
  }
  // Comments whose part is gone (none, as the printed document has the same parts) and the
  // document's own end comments go last: a comment is never dropped.
  if (orphans.length > 0) doc.comment = append(doc.comment, orphans.join('\n'));
}

/** The key and value nodes of the part at `path` (the root for the empty path). */
function partAt(root: unknown, path: readonly (string | number)[]): { key?: Node; value?: Node } | undefined {
  let current: unknown = root;
  let key: Node | undefined;
  for (const segment of path) {
    if (isMap(current)) {
      const pair = current.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair || !isPair(pair)) return undefined;
      key = pair.key as Node;
      current = pair.value;
    } else if (isSeq(current) && typeof segment === 'number') {
      key = undefined;
      current = current.items[segment];
    } else {
      return undefined;
    }
  }
  return current && typeof current === 'object' ? { key, value: current as Node } : undefined;
}

/** `indent`: the column a map's keys start at. `lineStart`: how much of the line precedes a value. */
function decorate(node: unknown, path: (string | number)[], indent: number, lineStart: number, expressions: ReadonlyMap<string, ExprAst>): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      if (key === 'practices' && isSeq(pair.value)) pair.value.flow = true;
      decorate(pair.value, [...path, key], indent + 2, indent + key.length + 2, expressions);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      if (i > 0 && (path[path.length - 1] === 'datasets' || path[path.length - 1] === 'exemptions') && item && typeof item === 'object') {
        (item as Node).spaceBefore = true;
      }
      decorate(item, [...path, i], indent + 2, indent + 2, expressions);
    });
  } else if (isScalar(node) && typeof node.value === 'string') {
    const text = node.value;
    const ast = expressions.get(pointer(path));
    if (ast) {
      // An expression is never folded (a fold inside an ECL term or a string would change it):
      // it stays on its key's line, or becomes a literal block broken only between and/or operands.
      // One whose strings hold line breaks, tabs or other controls is written double-quoted.
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u001f\u007f\u0085\u2028\u2029]/.test(text)) node.type = Scalar.QUOTE_DOUBLE;
      else if (lineStart + text.length + 2 > LINE_WIDTH) {
        node.value = printExpressionBlock(ast, LINE_WIDTH - indent);
        node.type = Scalar.BLOCK_LITERAL;
      }
      return;
    }
    // yaml writes a line of only spaces or tabs in a block scalar as an empty line (the text
    // would change), so such a text is written double-quoted, with escapes.
    if (text.includes('\n')) node.type = /^[ \t]+$/m.test(text) ? Scalar.QUOTE_DOUBLE : Scalar.BLOCK_LITERAL;
    else if (lineStart + text.length > LINE_WIDTH && text.trim() === text && !/\s\s/.test(text)) node.type = Scalar.BLOCK_FOLDED;
  }
}

/** The node a comment at `path` belongs before: the key of a map entry, or a list item. */
function keyNode(root: unknown, path: readonly (string | number)[]): Node | undefined {
  let current: unknown = root;
  let target: Node | undefined;
  for (const segment of path) {
    if (isMap(current)) {
      const pair = current.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair || !isPair(pair)) return target;
      target = pair.key as Node;
      current = pair.value;
    } else if (isSeq(current) && typeof segment === 'number') {
      const item = current.items[segment];
      if (!item || typeof item !== 'object') return target;
      target = item as Node;
      current = item;
    } else {
      return target;
    }
  }
  return target;
}
