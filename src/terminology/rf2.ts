import { createReadStream, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { defineCodes } from '../diagnostics/define-codes.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { Span } from '../source/source-file.js';

export const rf2Codes = defineCodes({
  'rf2-no-directory': {
    severity: 'error',
    stage: 'terminology',
    message: (p: { dir: string; problem: string }) => `the terminology directory ${p.dir} ${p.problem}: give the directory of an RF2 snapshot release (--terminology DIR)`,
  },
  'rf2-missing-file': {
    severity: 'error',
    stage: 'terminology',
    message: (p: { kind: string; pattern: string; dir: string }) => `no ${p.kind} file (${p.pattern}) in ${p.dir}`,
  },
  'rf2-no-descriptions': {
    severity: 'warning',
    stage: 'terminology',
    message: (p: { dir: string }) => `no description file (sct2_Description_Snapshot*.txt) in ${p.dir}: concepts are loaded without their fully specified names`,
  },
  'rf2-duplicate-file': {
    severity: 'error',
    stage: 'terminology',
    message: (p: { kind: string; files: string }) => `more than one ${p.kind} file: ${p.files}; keep one snapshot`,
  },
  'rf2-bad-header': {
    severity: 'error',
    stage: 'terminology',
    message: (p: { kind: string; expected: string; found: string }) =>
      `this is not an RF2 ${p.kind} file: the header must be \`${p.expected}\`, found \`${p.found}\``,
  },
  'rf2-bad-row': {
    severity: 'error',
    stage: 'terminology',
    message: (p: { reason: string }) => p.reason,
  },
  'rf2-unknown-concept': {
    severity: 'error',
    stage: 'terminology',
    message: (p: { id: string; role: string }) => `${p.role} ${p.id} is not in the concept file`,
  },
  'rf2-cycle': {
    severity: 'error',
    stage: 'terminology',
    message: (p: { cycle: string }) => `the is-a hierarchy has a cycle (child → parent): ${p.cycle}; a concept cannot be its own ancestor`,
  },
});

export const IS_A = '116680003';
export const FSN_TYPE = '900000000000003001';

export type Rf2Kind = 'concept' | 'description' | 'relationship' | 'refset';

const FILE_PATTERNS: Record<Rf2Kind, { pattern: RegExp; label: string; header: string[]; required: boolean }> = {
  concept: {
    pattern: /^sct2_Concept_Snapshot.*\.txt$/,
    label: 'sct2_Concept_Snapshot*.txt',
    header: ['id', 'effectiveTime', 'active', 'moduleId', 'definitionStatusId'],
    required: true,
  },
  description: {
    pattern: /^sct2_Description_Snapshot.*\.txt$/,
    label: 'sct2_Description_Snapshot*.txt',
    header: ['id', 'effectiveTime', 'active', 'moduleId', 'conceptId', 'languageCode', 'typeId', 'term', 'caseSignificanceId'],
    required: false,
  },
  relationship: {
    pattern: /^sct2_Relationship_Snapshot.*\.txt$/,
    label: 'sct2_Relationship_Snapshot*.txt',
    header: ['id', 'effectiveTime', 'active', 'moduleId', 'sourceId', 'destinationId', 'relationshipGroup', 'typeId', 'characteristicTypeId', 'modifierId'],
    required: true,
  },
  refset: {
    pattern: /^der2_Refset_Simple.*Snapshot.*\.txt$/,
    label: 'der2_Refset_Simple*Snapshot*.txt',
    header: ['id', 'effectiveTime', 'active', 'moduleId', 'refsetId', 'referencedComponentId'],
    required: false,
  },
};

export interface Rf2Files {
  concept?: string;
  description?: string;
  relationship?: string;
  refset: string[];
}

/** Finds the snapshot files under `dir` (searching subdirectories, as release packages nest them). */
export function findRf2Files(dir: string): { files: Rf2Files; diagnostics: Diagnostic[] } {
  const found: Record<Rf2Kind, string[]> = { concept: [], description: [], relationship: [], refset: [] };
  let top;
  try {
    top = statSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { files: { refset: [] }, diagnostics: [rf2Codes.make('rf2-no-directory', { dir, problem: code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${code ?? 'error'})` })] };
  }
  if (!top.isDirectory()) return { files: { refset: [] }, diagnostics: [rf2Codes.make('rf2-no-directory', { dir, problem: 'is a file, not a directory' })] };
  const walk = (current: string, depth: number) => {
    for (const entry of readdirSync(current).sort()) {
      const path = join(current, entry);
      const stat = statSync(path);
      if (stat.isDirectory()) {
        if (depth < 6) walk(path, depth + 1);
        continue;
      }
      for (const kind of Object.keys(FILE_PATTERNS) as Rf2Kind[]) {
        if (FILE_PATTERNS[kind].pattern.test(entry)) found[kind].push(path);
      }
    }
  };
  walk(dir, 0);
  const diagnostics: Diagnostic[] = [];
  const files: Rf2Files = { refset: found.refset };
  for (const kind of ['concept', 'description', 'relationship'] as const) {
    const paths = found[kind];
    if (paths.length === 0 && FILE_PATTERNS[kind].required) {
      diagnostics.push(rf2Codes.make('rf2-missing-file', { kind, pattern: FILE_PATTERNS[kind].label, dir }));
    } else if (paths.length > 1) {
      diagnostics.push(rf2Codes.make('rf2-duplicate-file', { kind, files: paths.map((p) => relative(dir, p)).join(', ') }));
    } else if (paths[0] !== undefined) {
      files[kind] = paths[0];
    }
  }
  if (found.description.length === 0 && found.concept.length > 0) diagnostics.push(rf2Codes.make('rf2-no-descriptions', { dir }));
  return { files, diagnostics };
}

export function lineSpan(file: string, line: number, column = 1): Span {
  return { file, start: { offset: 0, line, column }, end: { offset: 0, line, column } };
}

/**
 * Reads an RF2 file row by row: checks the header, the column count and that id-like columns are
 * digits. Rows with problems are reported (at file:line:column) and skipped.
 */
export async function readRf2(
  path: string,
  kind: Rf2Kind,
  onRow: (fields: string[], line: number) => void,
  diagnostics: Diagnostic[],
  idColumns: number[],
): Promise<void> {
  const spec = FILE_PATTERNS[kind];
  // readline is loaded when a release is read, not by every command that can read one (lint).
  const { createInterface } = await import('node:readline');
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNumber = 0;
  let badRows = 0;
  for await (const raw of lines) {
    lineNumber++;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (lineNumber === 1) {
      const header = text.replace(/^\uFEFF/, '').split('\t');
      if (header.join('\t') !== spec.header.join('\t')) {
        diagnostics.push(
          rf2Codes.make(
            'rf2-bad-header',
            { kind, expected: spec.header.join('<TAB>'), found: header.join('<TAB>').slice(0, 200) },
            lineSpan(path, 1),
          ),
        );
        lines.close();
        return;
      }
      continue;
    }
    if (text === '') continue;
    const fields = text.split('\t');
    let problem: { reason: string; column: number } | undefined;
    if (fields.length !== spec.header.length) {
      problem = { reason: `expected ${spec.header.length} tab-separated columns, found ${fields.length}`, column: 1 };
    } else {
      for (const index of idColumns) {
        const value = fields[index] ?? '';
        if (!/^[1-9]\d{5,17}$/.test(value)) {
          problem = { reason: `\`${spec.header[index]}\` must be a SNOMED CT identifier, found ${JSON.stringify(value.slice(0, 40))}`, column: columnOf(fields, index) };
          break;
        }
      }
      if (!problem && fields[2] !== '0' && fields[2] !== '1') {
        problem = { reason: `\`active\` must be 0 or 1, found ${JSON.stringify(fields[2])}`, column: columnOf(fields, 2) };
      }
    }
    if (problem) {
      badRows++;
      if (badRows <= 20) {
        diagnostics.push(rf2Codes.make('rf2-bad-row', { reason: `${basename(path)}: ${problem.reason}` }, lineSpan(path, lineNumber, problem.column)));
      }
      continue;
    }
    onRow(fields, lineNumber);
  }
  if (lineNumber === 0) {
    diagnostics.push(rf2Codes.make('rf2-bad-header', { kind, expected: spec.header.join('<TAB>'), found: '(empty file)' }, lineSpan(path, 1)));
  }
  if (badRows > 20) {
    diagnostics.push(rf2Codes.make('rf2-bad-row', { reason: `${basename(path)}: ${badRows - 20} more bad rows not shown` }, lineSpan(path, lineNumber)));
  }
}

function columnOf(fields: string[], index: number): number {
  let column = 1;
  for (let i = 0; i < index; i++) column += (fields[i]?.length ?? 0) + 1;
  return column;
}
