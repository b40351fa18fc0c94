import { canonical } from '../ir/fingerprint.js';

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
