import { createHash } from 'node:crypto';
import type { ExtractDefinition } from './extract-definition.js';

/**
 * The meaning of a definition without where it was written: no spans, no source, no comments,
 * no ECL terms (they are comments too). Two definitions mean the same when these are equal.
 */
export function canonicalDefinition(definition: ExtractDefinition): unknown {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map((v) => strip(v));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(value).sort()) {
        if (k === 'span' || k === 'source' || (k === 'term' && (value as { kind?: string }).kind === 'concept')) continue;
        const v = strip((value as Record<string, unknown>)[k]);
        if (v !== undefined) out[k] = v;
      }
      return out;
    }
    return value;
  };
  return strip(definition);
}

/** sha256 of the canonical definition: changes with any change of meaning, and only then. */
export function fingerprint(definition: ExtractDefinition): string {
  return createHash('sha256').update(JSON.stringify(canonicalDefinition(definition))).digest('hex');
}
