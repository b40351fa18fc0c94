import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { SourceFile, Span } from '../source/source-file.js';
import type { YamlPath } from '../source/yaml-source.js';
import type { ExprAst } from './expression-ast.js';

/** The two surface syntaxes of a definition. */
export type Syntax = 'yaml' | 'exdef';

/**
 * A definition as parsed from either syntax: the document in the YAML data model (what the
 * JSON Schema describes), where each part of it is in the file, its parsed expressions, and its
 * comments. Everything after parsing reads only this.
 */
export interface ParsedDefinition {
  file: SourceFile;
  syntax: Syntax;
  /** The definition as plain data, keyed as in the YAML format; undefined when unreadable. */
  document: Record<string, unknown> | undefined;
  /** Where the value (or, with 'key', the key or keyword) at a path is written. */
  locate(path: YamlPath, prefer?: 'value' | 'key'): Span;
  /** Where character `index` of the text value at a path is written (escapes and folding stepped over). */
  locateCharacter?(path: YamlPath, index: number): Span | undefined;
  /** Parsed expressions by JSON pointer (/population/where, /datasets/0/fields/1/value, ...). */
  expressions: Map<string, ExprAst>;
  /**
   * Comments by JSON pointer: '' the file's head, `P` before the part at P, and (YAML) where
   * else yaml keeps them: `P/~value`, `P/~after`, `P/~key-after` (see COMMENT_* below).
   */
  comments: Map<string, string[]>;
  /** The exdef language's JOINs: relation paths from a dataset's table (checked when resolving). */
  joins?: { dataset: number; path: string[]; span: Span }[];
  diagnostics: Diagnostic[];
}

/** The key of comments written after the last statement (or at the end of a YAML document). */
export const TAIL_COMMENTS = '/~tail';

/** Comment positions a pointer can end with: before a value, after it, after its key. */
export const COMMENT_BEFORE_VALUE = '~value';
export const COMMENT_AFTER_VALUE = '~after';
export const COMMENT_AFTER_KEY = '~key-after';

/** A comment key split into the pointer of the part it belongs to and where it sits. */
export function commentPlace(at: string): { at: string; place: 'before' | 'before-value' | 'after-value' | 'after-key' } {
  const slash = at.lastIndexOf('/');
  const last = at.slice(slash + 1);
  const base = slash < 0 ? '' : at.slice(0, slash);
  if (last === COMMENT_BEFORE_VALUE) return { at: base, place: 'before-value' };
  if (last === COMMENT_AFTER_VALUE) return { at: base, place: 'after-value' };
  if (last === COMMENT_AFTER_KEY) return { at: base, place: 'after-key' };
  return { at, place: 'before' };
}

export function pointer(path: YamlPath): string {
  // Called for every part of every definition: a segment without ~ or / is copied as it is.
  let out = '';
  for (const part of path) {
    const text = String(part);
    out += `/${text.includes('~') || text.includes('/') ? text.replace(/~/g, '~0').replace(/\//g, '~1') : text}`;
  }
  return out;
}

export function pathOfPointer(text: string): YamlPath {
  if (text === '') return [];
  return text
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** Where the expressions of a document are. */
export function expressionPointers(document: Record<string, unknown> | undefined): string[] {
  const pointers: string[] = [];
  if (!document) return pointers;
  const population = document['population'] as Record<string, unknown> | undefined;
  if (population && typeof population === 'object' && typeof population['where'] === 'string') pointers.push('/population/where');
  const datasets = document['datasets'];
  if (Array.isArray(datasets)) {
    datasets.forEach((dataset: unknown, i) => {
      if (!dataset || typeof dataset !== 'object') return;
      const d = dataset as Record<string, unknown>;
      if (typeof d['where'] === 'string') pointers.push(`/datasets/${i}/where`);
      if (Array.isArray(d['fields'])) {
        d['fields'].forEach((field: unknown, j) => {
          if (field && typeof field === 'object' && typeof (field as Record<string, unknown>)['value'] === 'string') pointers.push(`/datasets/${i}/fields/${j}/value`);
        });
      }
    });
  }
  return pointers;
}
