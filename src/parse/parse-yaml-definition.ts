import { isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import { defineCodes } from '../diagnostics/define-codes.js';
import { hasErrors } from '../diagnostics/diagnostic.js';
import { spanOf, type SourceFile } from '../source/source-file.js';
import { scalarOffsets } from '../source/yaml-scalar-offsets.js';
import { nodeAtPath, parseYamlSource, spanAtPath, type YamlPath } from '../source/yaml-source.js';
import { COMMENT_AFTER_KEY, COMMENT_AFTER_VALUE, COMMENT_BEFORE_VALUE, TAIL_COMMENTS, expressionPointers, pathOfPointer, pointer, type ParsedDefinition } from './definition-source.js';
import type { ExprAst } from './expression-ast.js';
import { parseExpressionText } from './parse-expression.js';

export const yamlDefinitionCodes = defineCodes({
  'definition-not-a-map': {
    severity: 'error',
    stage: 'schema',
    message: () => 'a definition is a YAML map of keys (exdef, id, title, ...); this file holds something else',
  },
});

/** Parses a definition written in YAML; its expression strings are parsed with the shared grammar. */
export function parseYamlDefinition(file: SourceFile): ParsedDefinition {
  const source = parseYamlSource(file);
  const diagnostics = [...source.diagnostics];
  const expressions = new Map<string, ExprAst>();
  const comments = new Map<string, string[]>();
  let document: Record<string, unknown> | undefined;
  if (!hasErrors(diagnostics)) {
    if (source.value && typeof source.value === 'object' && !Array.isArray(source.value)) {
      document = source.value as Record<string, unknown>;
    } else {
      diagnostics.push(yamlDefinitionCodes.make('definition-not-a-map', {}, spanOf(file, 0, Math.min(file.text.length, 1))));
    }
  }
  for (const at of expressionPointers(document)) {
    const path = pathOfPointer(at);
    const { node } = nodeAtPath(source.document, path);
    if (!node || !isScalar(node) || typeof node.value !== 'string') continue;
    const text = node.value;
    const offsets = scalarOffsets(file.text, node, text);
    const span = (start: number, endInclusive: number) => {
      const from = offsets[Math.min(start, text.length)] ?? 0;
      const to = (offsets[Math.min(endInclusive, text.length)] ?? from) + (endInclusive < text.length ? 1 : 0);
      return spanOf(file, from, Math.max(from, to));
    };
    const parsed = parseExpressionText(text, span);
    diagnostics.push(...parsed.diagnostics);
    if (parsed.expression) expressions.set(at, parsed.expression);
  }
  collectComments(source.document.contents as Node | null, source.document.commentBefore ?? undefined, comments);
  if (source.document.comment) {
    comments.set(
      TAIL_COMMENTS,
      source.document.comment
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.replace(/^ /, '')),
    );
  }
  return {
    file,
    syntax: 'yaml',
    document,
    locate: (path: YamlPath, prefer: 'value' | 'key' = 'value') => spanAtPath(source, path, prefer),
    locateCharacter: (path: YamlPath, index: number) => {
      const { node } = nodeAtPath(source.document, path);
      if (!node || !isScalar(node) || typeof node.value !== 'string') return undefined;
      const offsets = scalarOffsets(file.text, node, node.value);
      const start = offsets[Math.min(index, node.value.length)] ?? 0;
      const next = offsets[index + 1] ?? start + 1;
      return spanOf(file, start, next > start ? next : start + 1);
    },
    expressions,
    comments,
    diagnostics,
  };
}

/**
 * Every comment of the file, by JSON pointer and where yaml keeps it, so that a printer can put
 * each one back: `P` before the key (or list item) at P, `P/~value` before the value of P (a
 * comment above a map's first key or a list's first item), `P/~after` after the value of P (a
 * comment at the end of its line, or at the end of a map or list), `P/~key-after` after the key.
 */
function collectComments(root: Node | null, head: string | undefined, into: Map<string, string[]>): void {
  const add = (at: string, text: string | null | undefined) => {
    if (!text) return;
    // yaml keeps a blank line among comments as '' and a bare `#` as ' ': blank lines are layout.
    const lines = text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.replace(/^ /, ''));
    into.set(at, [...(into.get(at) ?? []), ...lines]);
  };
  add('', head);
  if (!root) return;
  const valueComments = (node: unknown, at: string) => {
    if (!node || typeof node !== 'object') return;
    add(`${at}/${COMMENT_BEFORE_VALUE}`, (node as Node).commentBefore);
    add(`${at}/${COMMENT_AFTER_VALUE}`, (node as Node).comment);
  };
  const walk = (node: unknown, path: YamlPath) => {
    if (isMap(node)) {
      for (const item of node.items) {
        if (!isPair(item) || !isScalar(item.key)) continue;
        const childPath = [...path, String(item.key.value)];
        add(pointer(childPath), item.key.commentBefore);
        add(`${pointer(childPath)}/${COMMENT_AFTER_KEY}`, item.key.comment);
        valueComments(item.value, pointer(childPath));
        walk(item.value, childPath);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        const childPath = [...path, i];
        if (isScalar(item) || isMap(item) || isSeq(item)) {
          add(pointer(childPath), (item as Node).commentBefore);
          add(`${pointer(childPath)}/${COMMENT_AFTER_VALUE}`, (item as Node).comment);
        }
        walk(item, childPath);
      });
    }
  };
  valueComments(root, '');
  walk(root, []);
}
