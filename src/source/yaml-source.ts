import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { defineCodes } from '../diagnostics/define-codes.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { spanOf, type SourceFile, type Span } from './source-file.js';

export const yamlCodes = defineCodes({
  'yaml-syntax': {
    severity: 'error',
    stage: 'source',
    message: (p: { reason: string }) => `YAML syntax error: ${p.reason}`,
  },
  'yaml-warning': {
    severity: 'warning',
    stage: 'source',
    message: (p: { reason: string }) => `YAML: ${p.reason}`,
  },
});

export type YamlPath = readonly (string | number)[];

/** A parsed YAML file: the plain value for validation and the node tree for positions. */
export interface YamlSource {
  file: SourceFile;
  document: Document.Parsed;
  value: unknown;
  diagnostics: Diagnostic[];
}

export function parseYamlSource(file: SourceFile): YamlSource {
  const document = parseDocument(file.text, {
    keepSourceTokens: false,
    lineCounter: new LineCounter(),
    prettyErrors: false,
    uniqueKeys: true,
    strict: true,
    // Dates stay strings: the schema and the resolver decide what a date is.
    schema: 'core',
  });
  const diagnostics: Diagnostic[] = [];
  for (const error of document.errors) {
    diagnostics.push(
      yamlCodes.make('yaml-syntax', { reason: firstLine(error.message) }, spanOf(file, error.pos[0], error.pos[1])),
    );
  }
  for (const warning of document.warnings) {
    diagnostics.push(
      yamlCodes.make('yaml-warning', { reason: firstLine(warning.message) }, spanOf(file, warning.pos[0], warning.pos[1])),
    );
  }
  let value: unknown = undefined;
  if (document.errors.length === 0) {
    try {
      value = document.toJS({ maxAliasCount: 100 });
    } catch (error) {
      diagnostics.push(yamlCodes.make('yaml-syntax', { reason: firstLine(String((error as Error).message)) }, spanOf(file, 0, 0)));
    }
  }
  return { file, document, value, diagnostics };
}

function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '');
}

/** The node at `path`, and the key node that names it when it is a map entry. */
export function nodeAtPath(document: Document.Parsed, path: YamlPath): { node?: Node; key?: Node; depth: number } {
  let current: unknown = document.contents;
  let key: Node | undefined;
  let depth = 0;
  for (const segment of path) {
    if (isMap(current)) {
      const pair = current.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      key = pair.key as Node;
      current = pair.value;
    } else if (isSeq(current) && typeof segment === 'number') {
      const item = current.items[segment];
      if (item === undefined) break;
      key = undefined;
      current = item;
    } else {
      break;
    }
    depth++;
  }
  const result: { node?: Node; key?: Node; depth: number } = { depth };
  if (current && typeof current === 'object' && 'range' in (current as Node)) result.node = current as Node;
  if (key) result.key = key;
  return result;
}

/**
 * The span of the value at `path` (or of its key, with `prefer: 'key'`). When the path does not
 * exist in full, the deepest node that does exist is used, so a diagnostic always has a place.
 */
export function spanAtPath(source: { file: SourceFile; document: Document.Parsed }, path: YamlPath, prefer: 'value' | 'key' = 'value'): Span {
  const { node, key } = nodeAtPath(source.document, path);
  const target = prefer === 'key' && key ? key : node ?? key;
  const range = target?.range;
  if (!range) return spanOf(source.file, 0, 0);
  // A block map or sequence's range runs to the next sibling; anchor on its first line instead.
  if (target && (isMap(target) || isSeq(target)) && key && prefer === 'value') {
    const keyRange = key.range;
    if (keyRange) return spanOf(source.file, keyRange[0], keyRange[1]);
  }
  return spanOf(source.file, range[0], trimEnd(source.file.text, range[0], range[1]));
}

function trimEnd(text: string, start: number, end: number): number {
  let e = end;
  while (e > start && /\s/.test(text[e - 1] ?? '')) e--;
  return e;
}
