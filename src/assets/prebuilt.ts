import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resources } from '../resources.js';
import type { Terminology } from '../terminology/import-terminology.js';

/**
 * Assets the build prepares (src/assets/build-assets.ts) so that commands start fast. Each
 * records the digest of the source it was made from; a mismatch means it is stale, and the caller
 * falls back to the source — so an asset can make exdef faster, never wrong.
 */
export const DEFAULT_POLICY_ASSET = 'default-policy.json';
export const SAMPLE_TERMINOLOGY_ASSET = 'sample-terminology.json';

export function sourceDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Reads an asset whose recorded source digest must equal `digest`; undefined when missing or stale. */
export function readPrebuilt<T>(name: string, digest: string, field: string): T | undefined {
  try {
    const asset = JSON.parse(readFileSync(join(resources.compiledAssets, name), 'utf8')) as Record<string, unknown>;
    return asset['sourceDigest'] === digest ? (asset[field] as T) : undefined;
  } catch {
    return undefined;
  }
}

/** The digest of the sample terminology's RF2 files, in name order. */
export function sampleTerminologyDigest(): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(resources.sampleTerminology).sort()) {
    if (!name.endsWith('.txt')) continue;
    hash.update(name).update('\0').update(readFileSync(join(resources.sampleTerminology, name))).update('\0');
  }
  return hash.digest('hex');
}

type TerminologyJson = Omit<Terminology, 'refsets'> & { refsets: [string, [string, boolean][]][] };

export function terminologyToJson(terminology: Terminology): TerminologyJson {
  return { ...terminology, refsets: [...terminology.refsets].map(([refset, members]) => [refset, [...members]]) };
}

export function terminologyFromJson(json: TerminologyJson): Terminology {
  return { ...json, refsets: new Map(json.refsets.map(([refset, members]) => [refset, new Map(members)])) };
}
