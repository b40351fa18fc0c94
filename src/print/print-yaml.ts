import { Document, isMap, isPair, isScalar, isSeq, Scalar, type Node } from 'yaml';
import { pathOfPointer, pointer } from '../parse/definition-source.js';
import { TAIL_COMMENTS } from '../parse/parse-exdef.js';
import { definitionSchema } from '../resolve/resolve-definition.js';
import type { PrintableDefinition } from './print-exdef.js';
import { printExpression } from './print-expression.js';

type SchemaNode = { properties?: Record<string, SchemaNode>; items?: SchemaNode; $ref?: string; 'x-order'?: string[]; oneOf?: SchemaNode[] };

/** Top-level keys that start a group, with a blank line before them (as the examples are laid out). */
const GROUP_STARTS = new Set(['use_case', 'population', 'mode', 'output', 'datasets', 'exemptions']);

/** A text that does not fit on its key's line within this width is written as a folded block. */
const LINE_WIDTH = 100;

/**
 * The canonical YAML of a definition: keys in the schema's order, two-space indentation,
 * long texts as folded blocks, expressions in canonical form, comments kept before their keys.
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
  decorate(root, [], 0);
  for (const [at, lines] of definition.comments) {
    const text = lines.map((l) => (l === '' ? '' : ` ${l}`)).join('\n');
    if (at === '') {
      doc.commentBefore = text;
      continue;
    }
    if (at === TAIL_COMMENTS) {
      doc.comment = text;
      continue;
    }
    const target = keyNode(root, pathOfPointer(at));
    if (target) target.commentBefore = target.commentBefore ? `${target.commentBefore}\n${text}` : text;
  }
  // A double-quoted text stays on one line: yaml's folding of multi-line double-quoted texts
  // loses characters when a line break is followed by a space ("a\n \nb").
  return doc.toString({ lineWidth: 92, minContentWidth: 40, indentSeq: true, flowCollectionPadding: false, doubleQuotedMinMultiLineLength: Infinity });
}

/** `indent`: the column a map's keys start at. `lineStart`: how much of the line precedes a value. */
function decorate(node: unknown, path: (string | number)[], indent: number, lineStart = 0): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      if (key === 'practices' && isSeq(pair.value)) pair.value.flow = true;
      decorate(pair.value, [...path, key], indent + 2, indent + key.length + 2);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      if (i > 0 && (path[path.length - 1] === 'datasets' || path[path.length - 1] === 'exemptions') && item && typeof item === 'object') {
        (item as Node).spaceBefore = true;
      }
      decorate(item, [...path, i], indent + 2, indent + 2);
    });
  } else if (isScalar(node) && typeof node.value === 'string') {
    const text = node.value;
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
