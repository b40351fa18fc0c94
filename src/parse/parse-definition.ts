import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { defineCodes } from '../diagnostics/define-codes.js';
import { sourceFile, type SourceFile } from '../source/source-file.js';
import type { ParsedDefinition, Syntax } from './definition-source.js';
import { parseExdef } from './parse-exdef.js';
import { parseYamlDefinition } from './parse-yaml-definition.js';

export const fileCodes = defineCodes({
  'file-unreadable': {
    severity: 'error',
    stage: 'source',
    message: (p: { path: string; reason: string }) => `cannot read ${p.path}: ${p.reason}`,
  },
  'unknown-file-type': {
    severity: 'error',
    stage: 'source',
    message: (p: { path: string }) => `${p.path} is neither a YAML definition (*.exdef.yaml) nor an exdef-language one (*.exdef)`,
  },
});

/** The syntax a file is written in, by its name. */
export function syntaxOf(path: string): Syntax | undefined {
  const extension = extname(path).toLowerCase();
  if (extension === '.exdef') return 'exdef';
  if (extension === '.yaml' || extension === '.yml') return 'yaml';
  return undefined;
}

export function parseDefinitionText(path: string, text: string, syntax: Syntax | undefined = syntaxOf(path)): ParsedDefinition {
  const file = sourceFile(path, text.replace(/^\uFEFF/, ''));
  if (syntax === 'exdef') return parseExdef(file);
  if (syntax === 'yaml') return parseYamlDefinition(file);
  return failed(file, fileCodes.make('unknown-file-type', { path }));
}

/** Reads and parses a definition file; an unreadable file is a diagnostic, not an exception. */
export function parseDefinitionFile(path: string): ParsedDefinition {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    return failed(sourceFile(path, ''), fileCodes.make('file-unreadable', { path, reason }));
  }
  return parseDefinitionText(path, text);
}

function failed(file: SourceFile, diagnostic: ReturnType<typeof fileCodes.make>): ParsedDefinition {
  return {
    file,
    syntax: 'yaml',
    document: undefined,
    locate: () => ({ file: file.path, start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } }),
    expressions: new Map(),
    comments: new Map(),
    diagnostics: [diagnostic],
  };
}
