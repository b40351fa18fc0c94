import { tableOf, type Catalogue } from '../catalogue/catalogue.js';
import { generateDdl } from '../catalogue/ddl.js';
import { copyLine } from '../db/copy-text.js';
import type { Database } from '../db/database.js';
import { countRows, dropSchema, ensurePgcrypto, ensureTerminologyTables, existingTables, runDdl } from '../db/reporting-schema.js';
import { ExdefError } from '../failure.js';
import { importTerminology, terminologyLoaded } from '../terminology/import-terminology.js';
import { DAY_MS, formatTimestamp, parseIsoDate, todayUtc } from './calendar.js';
import { ChunkChannel } from './chunk-channel.js';
import { CopyTextBuffer } from './copy-text-buffer.js';
import { generatePatient, type HistorySettings, type Practice, type RecordWriter } from './patient-history.js';
import { Random } from './random.js';
import { emptyTrapCounts, SEED_COLUMNS, SEED_TABLES, type SeedTable, type TrapCounts } from './seed-tables.js';
import { DISTRICTS, POSTCODE_UNIT_LETTERS, PRACTICE_NAMES } from './vocabulary.js';

export interface SeedOptions {
  practices: number;
  patients: number;
  seed: number;
  /** YYYY-MM-DD; the simulated history ends the day before. Default: today (UTC). */
  asOf?: string;
  /** Drop and regenerate data that is already there. */
  replace?: boolean;
  /** Called as patients are generated (for a progress display). */
  onProgress?: (generated: number, total: number) => void;
}

export interface SeedSummary {
  seed: number;
  asOf: string;
  practices: string[];
  patients: number;
  rows: Record<SeedTable, number>;
  traps: TrapCounts;
  terminologyLoaded: boolean;
  seconds: number;
}

/** Checks the options before any database work; returns the as-of date as text and day number. */
export function checkSeedOptions(options: SeedOptions): { asOfText: string; asOf: number } {
  const asOfText = options.asOf ?? todayUtc();
  const asOf = parseIsoDate(asOfText);
  if (asOf === undefined) throw new ExdefError(`--as-of must be a date written YYYY-MM-DD, not ${JSON.stringify(asOfText)}`, { exitCode: 2 });
  if (!Number.isInteger(options.practices) || options.practices < 3) {
    throw new ExdefError('--practices must be at least 3 (A81001, A81002 and A81003 are always generated)', { exitCode: 2 });
  }
  if (!Number.isInteger(options.patients) || options.patients < 1) throw new ExdefError('--patients must be a positive whole number', { exitCode: 2 });
  return { asOfText, asOf };
}

/** The practices of a synthetic population: A81001, A81002, A81003 always, then more. */
export function syntheticPractices(count: number, seed: number): Practice[] {
  const rng = new Random(seed, 0);
  const practices: Practice[] = [];
  for (let i = 0; i < count; i++) {
    const ods = i < 999 ? `A81${String(i + 1).padStart(3, '0')}` : `B82${String(i - 998).padStart(3, '0')}`;
    const districts = [0, 1, 2].map((k) => DISTRICTS[(i * 3 + k) % DISTRICTS.length]!);
    const unit = `${rng.int(1, 9)}${rng.pick([...POSTCODE_UNIT_LETTERS])}${rng.pick([...POSTCODE_UNIT_LETTERS])}`;
    practices.push({
      ods,
      name: i < PRACTICE_NAMES.length ? PRACTICE_NAMES[i]! : `${PRACTICE_NAMES[i % PRACTICE_NAMES.length]!} ${Math.floor(i / PRACTICE_NAMES.length) + 1}`,
      postcode: `${districts[0]} ${unit}`,
      districts,
      weight: 0.6 + rng.next() * 0.8,
    });
  }
  return practices;
}

const CHUNK_BYTES = 64 * 1024;

/**
 * Fills the reference model with a deterministic synthetic population. Tables are created
 * without keys, filled through concurrent COPY streams, then keyed, indexed and analysed.
 */
export async function seedDatabase(db: Database, catalogue: Catalogue, options: SeedOptions): Promise<SeedSummary> {
  const started = Date.now();
  const { asOfText, asOf } = checkSeedOptions(options);
  checkCatalogueFits(catalogue);

  const seeded = new Set<string>(SEED_TABLES);
  const present = await existingTables(db, catalogue);
  const presentSeeded = SEED_TABLES.filter((t) => present.has(t));
  if (presentSeeded.length > 0) {
    const patientTable = tableOf(catalogue, 'patient');
    const patients = present.has('patient') ? await countRows(db, patientTable.schema, patientTable.name) : 0;
    if (patients > 0 && !options.replace) {
      throw new ExdefError(`${db.target} already holds ${patients} patients`, {
        exitCode: 2,
        step: 'seed',
        hints: ['add --replace to drop them and generate a new population'],
      });
    }
    await dropSchema(db, { ...catalogue, tables: catalogue.tables.filter((t) => seeded.has(t.name)) });
  }
  await ensurePgcrypto(db);
  const ddl = generateDdl(catalogue, seeded);
  await runDdl(db, ddl, ['schemas', 'tables']);
  // Terminology tables are exdef's own: create them when missing and load the sample.
  await ensureTerminologyTables(db, catalogue);
  let loadedTerminology = false;
  if (!(await terminologyLoaded(db))) {
    const result = await importTerminology(db);
    if (!result.summary) throw new Error(`internal: the sample terminology does not load: ${result.diagnostics.map((d) => d.message).join('; ')}`);
    loadedTerminology = true;
  }

  const practices = syntheticPractices(options.practices, options.seed);
  const settings: HistorySettings = { seed: options.seed, asOf, practices };
  const rows = Object.fromEntries(SEED_TABLES.map((t) => [t, 0])) as Record<SeedTable, number>;
  const ids = Object.fromEntries(SEED_TABLES.map((t) => [t, 0])) as Record<SeedTable, number>;
  const channels = Object.fromEntries(SEED_TABLES.map((t) => [t, new ChunkChannel(4)])) as Record<SeedTable, ChunkChannel>;
  const buffers = Object.fromEntries(SEED_TABLES.map((t) => [t, new CopyTextBuffer(CHUNK_BYTES)])) as Record<SeedTable, CopyTextBuffer>;
  // Every table is copied at once, fed as the history is generated: with fewer connections than
  // tables, the copies without one would wait while the generator waits on their full channels.
  if (db.maxConnections !== undefined && db.maxConnections < SEED_TABLES.length) {
    throw new Error(`internal: seeding copies ${SEED_TABLES.length} tables at once: open the database with at least ${SEED_TABLES.length} connections (it has ${db.maxConnections})`);
  }
  const copies = SEED_TABLES.map((table) => {
    const target = tableOf(catalogue, table);
    return db
      .copyIn({ schema: target.schema, table: target.name, columns: SEED_COLUMNS[table] }, channels[table])
      .catch((error: unknown) => {
        channels[table].fail(error);
        throw error;
      });
  });
  // Observe every COPY's failure at once; they are awaited again below.
  const allCopies = Promise.all(copies);
  allCopies.catch(() => undefined);

  const traps = emptyTrapCounts();
  const writer: RecordWriter = {
    nextId: (table) => ++ids[table],
    write: (table, line) => {
      rows[table]++;
      buffers[table].append(line);
    },
    traps,
  };
  const flush = async (all: boolean) => {
    for (const table of SEED_TABLES) {
      // One push per table per flush, as many chunks as are ready in it: a COPY still waiting for a
      // connection (the pool smaller than the tables) holds at most one flush's data, and the
      // final flush never blocks behind a channel that is full of small chunks.
      const chunks = buffers[table].take(all);
      if (chunks.length > 0) await channels[table].push(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    }
  };

  try {
    const historyEnd = formatTimestamp(asOf * DAY_MS - 3_600_000);
    for (const practice of practices) {
      writer.write('practice', copyLine([practice.ods, practice.name, practice.postcode, historyEnd]));
    }
    const progressEvery = Math.max(1, Math.floor(options.patients / 200));
    for (let i = 0; i < options.patients; i++) {
      generatePatient(settings, i, writer);
      if (i % 64 === 63) await flush(false);
      if (options.onProgress && (i % progressEvery === 0 || i === options.patients - 1)) options.onProgress(i + 1, options.patients);
    }
    await flush(true);
  } finally {
    for (const table of SEED_TABLES) channels[table].close();
  }
  const copied = await allCopies;
  SEED_TABLES.forEach((table, i) => {
    if (copied[i] !== rows[table] && db.engine === 'postgres') {
      throw new Error(`internal: generated ${rows[table]} ${table} rows but COPY loaded ${copied[i]}`);
    }
  });

  // Keys, foreign keys and indexes after the load; on PostgreSQL two at a time (one per core).
  await runDdl(db, ddl, ['primaryKeys']);
  await runConcurrently(db, [...ddl.indexes, ...ddl.foreignKeys], db.engine === 'postgres' ? 2 : 1);
  await runDdl(db, ddl, ["triggers"]);
  for (const table of SEED_TABLES) {
    const t = tableOf(catalogue, table);
    await db.exec(`ANALYZE "${t.schema}"."${t.name}"`);
  }
  return {
    seed: options.seed,
    asOf: asOfText,
    practices: practices.map((p) => p.ods),
    patients: options.patients,
    rows,
    traps,
    terminologyLoaded: loadedTerminology,
    seconds: (Date.now() - started) / 1000,
  };
}

async function runConcurrently(db: Database, statements: string[], width: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < statements.length) {
      const statement = statements[next++]!;
      try {
        await db.exec(statement);
      } catch (error) {
        throw new ExdefError(`building keys and indexes failed: ${(error as Error).message}`, { exitCode: 2, step: 'seed', cause: error });
      }
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
}

/** The generator writes the reference model's columns; a different catalogue cannot be seeded. */
function checkCatalogueFits(catalogue: Catalogue): void {
  const missing: string[] = [];
  for (const table of SEED_TABLES) {
    const t = catalogue.tables.find((x) => x.name === table);
    if (!t) {
      missing.push(table);
      continue;
    }
    for (const column of SEED_COLUMNS[table]) if (!t.columns.some((c) => c.name === column)) missing.push(`${table}.${column}`);
  }
  if (missing.length > 0) {
    throw new ExdefError(`db seed generates the reference reporting model, and catalogue ${catalogue.path} lacks ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`, {
      exitCode: 2,
      step: 'seed',
    });
  }
}
