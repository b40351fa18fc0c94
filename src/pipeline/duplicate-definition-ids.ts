import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { defineCodes } from '../diagnostics/define-codes.js';
import { formatPosition } from '../source/source-file.js';
import type { CheckedDefinition } from './check-definition.js';

export const definitionSetCodes = defineCodes({
  'duplicate-definition-id': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { id: string; other: string }) =>
      `the definition id \`${p.id}\` is also the id of ${p.other}: an id names the extract's output and keys its delta state, so two definitions cannot share one`,
  },
});

/** NAME of NAME.exdef / NAME.exdef.yaml: one definition written in both syntaxes shares its id on purpose. */
function stem(path: string): string {
  return path.replace(/\.exdef(\.ya?ml)?$/i, '');
}

/**
 * The definitions of one lint run that share an id, each reported at its own `id` with the other's
 * position. Files of the same NAME (the YAML and exdef-language forms of one definition) may.
 */
export function duplicateDefinitionIds(checked: readonly CheckedDefinition[]): Diagnostic[] {
  const byId = new Map<string, { stem: string; at: ReturnType<CheckedDefinition['parsed']['locate']> }[]>();
  for (const c of checked) {
    const id = c.parsed.document?.['id'];
    if (typeof id !== 'string' || id === '') continue;
    const entry = { stem: stem(c.parsed.file.path), at: c.parsed.locate(['id']) };
    byId.set(id, [...(byId.get(id) ?? []), entry]);
  }
  const diagnostics: Diagnostic[] = [];
  for (const [id, entries] of byId) {
    for (const entry of entries) {
      const others = entries.filter((e) => e.stem !== entry.stem);
      if (others.length === 0) continue;
      const other = others.map((e) => formatPosition(e.at)).join(', ');
      diagnostics.push(definitionSetCodes.make('duplicate-definition-id', { id, other }, entry.at, ['give each definition its own id (a new id starts a new delta state)']));
    }
  }
  return diagnostics;
}
