import { createHash } from 'node:crypto';
import { isDerivedKey } from './expression.js';
import type { ExtractDefinition } from './extract-definition.js';

/**
 * The meaning of a definition without where it was written: no spans, no source, no comments,
 * no ECL terms (they are comments too), nothing the resolver derives from what is written
 * (isDerivedKey), keys sorted. Two definitions mean the same when these are
 * equal (what converting between the syntaxes must preserve).
 */
export function canonicalDefinition(definition: ExtractDefinition): unknown {
  return canonical(definition);
}

/** The same rules for any part of a definition (src/diff/canonical-key.ts compares parts with it). */
export function canonical(value: unknown): unknown {
  return canonicalWith(value, undefined);
}

/**
 * canonical(), remembering the result for each object it meets in `memo` (when given): the
 * fingerprint and the digest of one definition canonicalise the same expressions, each once.
 * A memo is for one unchanged definition only.
 */
function canonicalWith(value: unknown, memo: Map<object, unknown> | undefined): unknown {
  if (!value || typeof value !== 'object') return value;
  if (memo?.has(value)) return memo.get(value);
  let result: unknown;
  if (Array.isArray(value)) {
    result = value.map((v) => canonicalWith(v, memo));
  } else {
    const out: Record<string, unknown> = {};
    const kind = (value as { kind?: unknown }).kind;
    for (const k of Object.keys(value).sort()) {
      if (k === 'span' || k === 'source' || (k === 'term' && kind === 'concept') || isDerivedKey(value, k)) continue;
      const v = canonicalWith((value as Record<string, unknown>)[k], memo);
      if (v !== undefined) out[k] = v;
    }
    result = out;
  }
  memo?.set(value, result);
  return result;
}

/**
 * What decides the rows and columns an extract produces: the population, the mode, each
 * dataset's table, filter and field values, and the exemptions. Governance texts,
 * justifications, the schedule, the version number and delivery do not change the data, so
 * changing them does not force a new baseline (the semantic diff reports them for IG review).
 */
export function dataDefinition(definition: ExtractDefinition): unknown {
  return dataDefinitionWith(definition, undefined);
}

function dataDefinitionWith(definition: ExtractDefinition, memo: Map<object, unknown> | undefined): unknown {
  return canonicalWith({
    format: definition.format,
    id: definition.id,
    // Justifications explain the population; they do not change who is in it.
    // Nor does what a recipient is told when a patient leaves: a delta run compares with what it
    // holds, so a change of on_leave takes effect without a new baseline.
    population: Object.fromEntries(Object.entries(definition.population).filter(([key]) => !key.endsWith('Justification') && key !== 'onLeave')),
    mode: definition.mode,
    datasets: definition.datasets.map((d) => ({ name: d.name, table: d.table, where: d.where, fields: d.fields.map((f) => ({ name: f.name, value: f.value })) })),
    exemptions: definition.exemptions.map((e) => ({ rule: e.rule, codeSet: e.codeSet, datasets: e.datasets, fields: e.fields })),
    // Nor is the output. Its compression (output.compression) in particular changes only how the
    // same CSV bytes are packed in the ZIP, never what the recipient unzips: it must not force a
    // new baseline.
  }, memo);
}

/**
 * sha256 of the data-affecting meaning (dataDefinition): comments, key order, formatting, the
 * syntax and texts the data does not depend on leave it alone; any change to what the extract
 * produces moves it, and a new fingerprint means the next delta run starts again in full.
 */
export function fingerprint(definition: ExtractDefinition): string {
  return createHash('sha256').update(JSON.stringify(dataDefinition(definition))).digest('hex');
}

/**
 * sha256 of the whole canonical definition: also moves with governance texts, justifications,
 * the version and the schedule. It names exactly the approved definition a run used.
 */
export function definitionDigest(definition: ExtractDefinition): string {
  return createHash('sha256').update(JSON.stringify(canonicalDefinition(definition))).digest('hex');
}

/**
 * fingerprint() and definitionDigest() of one definition together, the parts they share
 * canonicalised once (the same two hashes).
 */
export function fingerprintAndDigest(definition: ExtractDefinition): { fingerprint: string; digest: string } {
  const memo = new Map<object, unknown>();
  return {
    fingerprint: createHash('sha256').update(JSON.stringify(dataDefinitionWith(definition, memo))).digest('hex'),
    digest: createHash('sha256').update(JSON.stringify(canonicalWith(definition, memo))).digest('hex'),
  };
}
