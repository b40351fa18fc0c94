/**
 * One side of the non-interference comparison: a definition run by the real executor
 * (runExtract, in this process) into a fresh directory, and its delivery read back as the bytes of
 * every file in the ZIP. The manifest is compared whole except `snapshot` (the wall-clock time the
 * run's snapshot was taken: two runs are never at the same instant); nothing else is removed.
 * Outside the ZIP, the file name carries the snapshot time and the log file start and end times,
 * so neither is compared: every byte the recipient reads is inside the ZIP.
 *
 * A run the executor refuses or that fails (a disclosure check below k, say) is an outcome too:
 * its message is compared, since excluded data must not decide whether an extract is delivered.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import type { Catalogue } from '../../../src/catalogue/catalogue.js';
import type { Database } from '../../../src/db/database.js';
import { runExtract, type RunEvents } from '../../../src/execute/run-extract.js';
import { approvedProvider } from '../approvals.js';

/** What a recipient would receive: ZIP member name → content (the manifest normalised). */
export type Delivery = { kind: 'delivered'; files: Map<string, string> } | { kind: 'failed'; message: string };

const quiet: RunEvents = { warn: () => undefined, step: () => undefined, datasetStarted: () => undefined, datasetRows: () => undefined, datasetFinished: () => undefined };

/** The environment variable the executor reads a pseudonym key from (pseudonym-keys.ts). */
export function keyVariable(name: string): string {
  return `EXDEF_KEY_${name.toUpperCase().replace(/-/g, '_')}`;
}

/** A fixed key per key name (34 characters, so the executor's minimum length is met). */
export function keysEnvironment(names: readonly string[]): NodeJS.ProcessEnv {
  return Object.fromEntries(names.map((n) => [keyVariable(n), `non-interference-key-${n}-0123456789abcdef`]));
}

export interface RunSide {
  db: Database;
  catalogue: Catalogue;
  file: string;
  today: string;
  keyNames: readonly string[];
}

/**
 * Runs the definition as a full extract (--full --force: a delta definition's first run is full
 * too, and the schedule would refuse a second run on one day), clearing its delta state first so
 * both sides start from the same state.
 */
export async function deliver(side: RunSide, definitionId: string): Promise<Delivery> {
  await clearState(side.db, definitionId);
  const out = mkdtempSync(join(tmpdir(), 'exdef-ni-'));
  try {
    const result = await runExtract({
      file: side.file,
      approvals: approvedProvider(side.file, { catalogue: side.catalogue }),
      db: side.db,
      catalogue: side.catalogue,
      out,
      extractDate: side.today,
      full: true,
      force: true,
      env: keysEnvironment(side.keyNames),
      concurrency: 1,
      statementTimeoutSeconds: 120,
      events: quiet,
    });
    return { kind: 'delivered', files: readZip(result.output) };
  } catch (error) {
    return { kind: 'failed', message: (error as Error).message };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function clearState(db: Database, definitionId: string): Promise<void> {
  const [present] = await db.query<{ n: string }>(
    "SELECT count(*)::text AS n FROM information_schema.tables WHERE table_schema = 'exdef_state' AND table_name IN ('extract_state', 'population_member')",
  );
  if (present?.n !== '2') return;
  await db.query('DELETE FROM exdef_state.population_member WHERE definition_id = $1', [definitionId]);
  await db.query('DELETE FROM exdef_state.extract_state WHERE definition_id = $1', [definitionId]);
}

/**
 * The members of a ZIP (as zip.ts writes them: no ZIP64 at these sizes), read in this process from
 * its central directory — spawning `unzip` per member would cost more than the run itself.
 */
function readZip(zip: string): Map<string, string> {
  const bytes = readFileSync(zip);
  const end = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error(`${zip}: no end of central directory`);
  const count = bytes.readUInt16LE(end + 10);
  let at = bytes.readUInt32LE(end + 16);
  const members: [string, string][] = [];
  for (let i = 0; i < count; i++) {
    if (bytes.readUInt32LE(at) !== 0x02014b50) throw new Error(`${zip}: bad central directory entry ${i}`);
    const method = bytes.readUInt16LE(at + 10);
    const compressed = bytes.readUInt32LE(at + 20);
    const nameLength = bytes.readUInt16LE(at + 28);
    const extraLength = bytes.readUInt16LE(at + 30);
    const commentLength = bytes.readUInt16LE(at + 32);
    const local = bytes.readUInt32LE(at + 42);
    const name = bytes.toString('utf8', at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    const start = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    const data = bytes.subarray(start, start + compressed);
    const content = (method === 8 ? inflateRawSync(data) : data).toString('latin1');
    members.push([name, name.endsWith('manifest.json') ? normaliseManifest(content) : content]);
  }
  return new Map(members.sort(([a], [b]) => a.localeCompare(b)));
}

/** The manifest without `snapshot`, the only field that differs between two runs on equal data (the clock). */
function normaliseManifest(text: string): string {
  const manifest = JSON.parse(text) as Record<string, unknown>;
  if (typeof manifest['snapshot'] !== 'string') throw new Error('manifest.json has no snapshot time');
  delete manifest['snapshot'];
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Where two deliveries differ, file by file (empty: byte-identical). */
export function differences(base: Delivery, variant: Delivery): string[] {
  if (base.kind === 'failed' || variant.kind === 'failed') {
    if (base.kind === 'failed' && variant.kind === 'failed' && base.message === variant.message) return [];
    return [`outcome: ${describe(base)} → ${describe(variant)}`];
  }
  const found: string[] = [];
  for (const name of new Set([...base.files.keys(), ...variant.files.keys()])) {
    const a = base.files.get(name);
    const b = variant.files.get(name);
    if (a === b) continue;
    if (a === undefined || b === undefined) found.push(`${name}: ${a === undefined ? 'appears' : 'disappears'}`);
    else found.push(`${name}: ${firstDifference(a, b)}`);
  }
  return found;
}

function describe(d: Delivery): string {
  return d.kind === 'failed' ? `failed (${d.message.slice(0, 300)})` : `delivered ${[...d.files.keys()].join(', ')}`;
}

/** The first differing line of two texts, and the line counts. */
function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  let i = 0;
  while (i < la.length && i < lb.length && la[i] === lb[i]) i++;
  return `${la.length} → ${lb.length} lines; first difference at line ${i + 1}: ${JSON.stringify(la[i]?.slice(0, 160))} → ${JSON.stringify(lb[i]?.slice(0, 160))}`;
}
