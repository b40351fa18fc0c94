/**
 * A string that is equal for two parts of the IR exactly when they mean the same: spans, the
 * source and ECL terms left out, keys sorted (the rules of canonicalDefinition in
 * src/ir/fingerprint.ts, applied to any part of a definition).
 */
export function canonicalKey(value: unknown): string {
  return JSON.stringify(canonical(value)) ?? 'undefined';
}

export function sameMeaning(a: unknown, b: unknown): boolean {
  return canonicalKey(a) === canonicalKey(b);
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      if (k === 'span' || k === 'source' || (k === 'term' && (value as { kind?: string }).kind === 'concept')) continue;
      const v = canonical((value as Record<string, unknown>)[k]);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  return value;
}
