import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, Parser, parseDocument, type CST, type Document, type Node, type Pair } from 'yaml';
import { defineCodes } from '../diagnostics/define-codes.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { spanOf, type SourceFile, type Span } from './source-file.js';
import { MAX_EXPANDED_NODES, yamlStructureProblems } from './yaml-structure.js';

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
  'yaml-too-deep': {
    severity: 'error',
    stage: 'source',
    message: (p: { limit: number }) => `YAML collections are nested more than ${p.limit} levels deep here; a definition needs far fewer`,
  },
});

/**
 * An unclosed `[`, `{` or quote, which yaml reports where it gave up (often lines later): the
 * offset where it was opened, found by reading the text up to that point.
 */
function unclosedOpening(text: string, at: number, message: string): { offset: number; reason: string; hint: string } | undefined {
  const flow = /^Flow (sequence|map) in block collection/.test(message);
  const quote = /^Missing closing ("|')quote/.exec(message)?.[1];
  if (!flow && !quote) return undefined;
  const brackets: number[] = [];
  let open: { char: string; offset: number } | undefined;
  let comment = false;
  for (let i = 0; i < Math.min(at, text.length); i++) {
    const ch = text[i]!;
    if (comment) {
      if (ch === '\n') comment = false;
      continue;
    }
    if (open) {
      if (open.char === "'" && ch === "'" && text[i + 1] === "'") i++;
      else if (open.char === '"' && ch === '\\') i++;
      else if (ch === open.char) open = undefined;
      continue;
    }
    const before = i === 0 ? '\n' : text[i - 1]!;
    if (ch === '#' && /\s/.test(before)) comment = true;
    // A quote opens a quoted scalar only where a value starts (not in "Practice's").
    else if ((ch === '"' || ch === "'") && /[\s[{,:]/.test(before)) open = { char: ch, offset: i };
    else if (ch === '[' || ch === '{') brackets.push(i);
    else if ((ch === ']' || ch === '}') && brackets.length > 0) brackets.pop();
  }
  if (quote && open && open.char === quote) {
    return { offset: open.offset, reason: `this ${quote === '"' ? 'double' : 'single'}-quoted text is never closed`, hint: `end it with ${quote} on the same line${quote === "'" ? " (a ' inside it is written '')" : ' (a " inside it is written \\")'}` };
  }
  if (flow && brackets.length > 0) {
    const offset = brackets[brackets.length - 1]!;
    const closing = text[offset] === '[' ? ']' : '}';
    return { offset, reason: `this ${text[offset]} is never closed`, hint: `end the ${closing === ']' ? 'list' : 'map'} with ${closing}` };
  }
  return undefined;
}

/**
 * How deeply YAML collections may nest. yaml builds documents recursively: thousands of levels
 * (`[[[[...`) overflow the stack, and after such an overflow inside a regular expression V8 can
 * abort the whole process on the next parse. A definition nests about six levels.
 */
export const MAX_YAML_DEPTH = 100;

export type YamlPath = readonly (string | number)[];

/** A parsed YAML file: the plain value for validation and the node tree for positions. */
export interface YamlSource {
  file: SourceFile;
  document: Document.Parsed;
  value: unknown;
  diagnostics: Diagnostic[];
}

export function parseYamlSource(file: SourceFile): YamlSource {
  const tooDeep = offsetTooDeep(file.text);
  if (tooDeep !== undefined) {
    const empty = parseDocument('');
    return { file, document: empty, value: undefined, diagnostics: [yamlCodes.make('yaml-too-deep', { limit: MAX_YAML_DEPTH }, spanOf(file, tooDeep, tooDeep + 1))] };
  }
  const document = parseDocument(file.text, {
    keepSourceTokens: false,
    lineCounter: new LineCounter(),
    prettyErrors: false,
    // Duplicate keys are reported by yamlStructureProblems, with the first key's line.
    uniqueKeys: false,
    // Merge keys (`<<: *defaults`) as YAML 1.1 defines them, which every YAML user expects.
    merge: true,
    strict: true,
    // Dates stay strings: the schema and the resolver decide what a date is.
    schema: 'core',
  });
  const diagnostics: Diagnostic[] = [];
  for (const error of document.errors) {
    const unclosed = unclosedOpening(file.text, error.pos[0], error.message);
    if (unclosed) {
      diagnostics.push({ ...yamlCodes.make('yaml-syntax', { reason: unclosed.reason }, spanOf(file, unclosed.offset, unclosed.offset + 1)), hints: [unclosed.hint] });
      continue;
    }
    diagnostics.push(
      yamlCodes.make('yaml-syntax', { reason: firstLine(error.message) }, spanOf(file, error.pos[0], error.pos[1])),
    );
  }
  for (const warning of document.warnings) {
    // An unknown tag is an error of its own (yaml-tag).
    if (warning.code === 'TAG_RESOLVE_FAILED') continue;
    diagnostics.push(
      yamlCodes.make('yaml-warning', { reason: firstLine(warning.message) }, spanOf(file, warning.pos[0], warning.pos[1])),
    );
  }
  if (document.errors.length === 0) diagnostics.push(...yamlStructureProblems(file, document));
  let value: unknown = undefined;
  if (document.errors.length === 0 && !diagnostics.some((d) => d.severity === 'error')) {
    try {
      // Aliases are bounded by yamlStructureProblems; yaml's own guard stays as a backstop.
      value = document.toJS({ maxAliasCount: MAX_EXPANDED_NODES });
    } catch (error) {
      diagnostics.push(yamlCodes.make('yaml-syntax', { reason: firstLine(String((error as Error).message)) }, spanOf(file, 0, 0)));
    }
  }
  return { file, document, value, diagnostics };
}

/**
 * Where collections first nest deeper than MAX_YAML_DEPTH, or undefined. A cheap upper bound
 * (open brackets, plus indentation and block indicators on one line) settles ordinary files; only
 * beyond it is the text read with yaml's concrete-syntax parser, which has no recursion, and
 * walked with an explicit stack.
 */
function offsetTooDeep(text: string): number | undefined {
  let open = 0;
  let maxOpen = 0;
  let lineBound = 0;
  let maxLineBound = 0;
  let indenting = true;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '[' || ch === '{') maxOpen = Math.max(maxOpen, ++open);
    else if (ch === ']' || ch === '}') open = Math.max(0, open - 1);
    if (ch === '\n' || ch === '\r') {
      lineBound = 0;
      indenting = true;
      continue;
    }
    if (indenting && ch !== ' ') indenting = false;
    if (indenting || ch === '-' || ch === '?' || ch === ':') maxLineBound = Math.max(maxLineBound, ++lineBound);
  }
  if (maxOpen + maxLineBound + 1 <= MAX_YAML_DEPTH) return undefined;
  for (const top of new Parser().parse(text)) {
    const stack: [CST.Token, number][] = [[top, 0]];
    while (stack.length > 0) {
      const [token, outer] = stack.pop()!;
      const collection = token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection';
      const depth = outer + (collection ? 1 : 0);
      if (depth > MAX_YAML_DEPTH) return Math.min(Math.max(0, token.offset), text.length);
      if (token.type === 'document' && token.value) stack.push([token.value, depth]);
      if (collection) {
        for (const item of token.items) {
          if (item.key) stack.push([item.key, depth]);
          if (item.value) stack.push([item.value, depth]);
        }
      }
    }
  }
  return undefined;
}

function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '');
}

/**
 * The node at `path`, and the key node that names it when it is a map entry. Aliases are followed
 * and merge keys (`<<: *defaults`) looked into, as YAML reads them; `written` is the alias itself
 * when the value at `path` is written as one (where the value is used, for positions).
 */
export function nodeAtPath(document: Document.Parsed, path: YamlPath): { node?: Node; key?: Node; written?: Node; depth: number } {
  const resolve = (value: unknown): unknown => (isAlias(value) ? value.resolve(document) : value);
  let current: unknown = resolve(document.contents);
  let written: unknown = document.contents;
  let key: Node | undefined;
  let depth = 0;
  for (const segment of path) {
    if (isMap(current)) {
      const pair = pairIn(current.items as Pair[], String(segment), resolve);
      if (!pair) break;
      key = pair.key as Node;
      written = pair.value;
      current = resolve(pair.value);
    } else if (isSeq(current) && typeof segment === 'number') {
      const item = current.items[segment];
      if (item === undefined) break;
      key = undefined;
      written = item;
      current = resolve(item);
    } else {
      break;
    }
    depth++;
  }
  const result: { node?: Node; key?: Node; written?: Node; depth: number } = { depth };
  if (current && typeof current === 'object' && 'range' in (current as Node)) result.node = current as Node;
  if (written && isAlias(written)) result.written = written as Node;
  if (key) result.key = key;
  return result;
}

/** The pair for `name` in a map's items: written there, or else merged in by `<<` (first source wins). */
function pairIn(items: Pair[], name: string, resolve: (value: unknown) => unknown, depth = 0): Pair | undefined {
  const own = items.find((item) => isPair(item) && isScalar(item.key) && !isMergeKey(item.key) && String(item.key.value) === name);
  if (own || depth > 20) return own;
  for (const item of items) {
    if (!isPair(item) || !isScalar(item.key) || !isMergeKey(item.key)) continue;
    const value = resolve(item.value);
    const sources = isSeq(value) ? value.items.map(resolve) : [value];
    for (const source of sources) {
      if (!isMap(source)) continue;
      const found = pairIn(source.items as Pair[], name, resolve, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

/** A merge key: yaml gives it a symbol value (a quoted '<<' is an ordinary key). */
export function isMergeKey(key: { source?: string; value?: unknown }): boolean {
  return key.source === '<<' && typeof key.value === 'symbol';
}

/**
 * The span of the value at `path` (or of its key, with `prefer: 'key'`). When the path does not
 * exist in full, the deepest node that does exist is used, so a diagnostic always has a place.
 */
export function spanAtPath(source: { file: SourceFile; document: Document.Parsed }, path: YamlPath, prefer: 'value' | 'key' = 'value'): Span {
  const { node, key, written } = nodeAtPath(source.document, path);
  // A value written as an alias is shown where it is used, not where its anchor is.
  const target = prefer === 'key' && key ? key : written ?? node ?? key;
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
