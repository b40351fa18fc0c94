import { Flags } from '@oclif/core';
import { openDatabase } from '../../../db/open-database.js';
import { checkSeedOptions, seedDatabase, type SeedSummary } from '../../../seed/seed-database.js';
import { SEED_TABLES } from '../../../seed/seed-tables.js';
import { ExdefCommand } from '../../exdef-command.js';
import { catalogueForCommand } from '../../load-catalogue-for-cli.js';
import { progressBar } from '../../progress.js';
import { catalogueFlag, databaseFlag, jsonFlag } from '../../shared-flags.js';
import { textTable } from '../../text-table.js';

export default class DbSeed extends ExdefCommand {
  static override summary = 'Fill the reporting database with a deterministic synthetic population';
  static override description = [
    'Generates practices and patients with realistic histories (registrations that start and end, deaths, opt-outs and opt-backs-in, coded observations, medication, referrals, appointments, consultations and documents) and every trap the policy must exclude: PDS-sensitive patients, Type 1 and National Data opt-outs, confidential items, sensitive codes, free text, documents and soft-deleted rows, each in a known, non-zero amount.',
    'The same --seed and --as-of give the same rows, timestamps included, on either engine. Practices A81001, A81002 and A81003 are always generated. Data is loaded with COPY; the schema and the sample terminology are created first when missing.',
  ].join('\n\n');
  static override examples = [
    { description: 'A demo-sized population in the embedded database', command: '<%= config.bin %> db seed --practices 3 --patients 2000 --seed 1' },
    { description: 'History anchored on a fixed date (for tests and reproducible demos)', command: '<%= config.bin %> db seed --patients 500 --seed 7 --as-of 2026-11-21' },
    { description: '100,000 patients into PostgreSQL, replacing what is there', command: '<%= config.bin %> db seed --practices 20 --patients 100000 --seed 1 --replace --database postgres://exdef@localhost/reporting' },
  ];
  static override flags = {
    practices: Flags.integer({ description: 'Number of practices (at least 3)', default: 3, min: 3 }),
    patients: Flags.integer({ description: 'Number of patients', default: 1000, min: 1 }),
    seed: Flags.integer({ description: 'Seed of the generator', default: 1 }),
    'as-of': Flags.string({ description: 'Date the simulated history runs up to (YYYY-MM-DD; default today)', helpValue: 'DATE' }),
    replace: Flags.boolean({ description: 'Drop an existing population and generate a new one' }),
    database: databaseFlag,
    catalogue: catalogueFlag,
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DbSeed);
    const catalogue = catalogueForCommand(flags.catalogue);
    const options = {
      practices: flags.practices,
      patients: flags.patients,
      seed: flags.seed,
      ...(flags['as-of'] ? { asOf: flags['as-of'] } : {}),
      replace: flags.replace,
    };
    checkSeedOptions(options);
    const db = await openDatabase({ url: flags.database, maxConnections: 12 });
    const progress = await progressBar('patients');
    let summary: SeedSummary;
    try {
      summary = await seedDatabase(db, catalogue, { ...options, onProgress: (done, total) => progress.update(done, total) });
    } finally {
      progress.stop();
      await db.close();
    }
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      return;
    }
    process.stdout.write(seedReport(summary));
    this.say(`seeded ${db.target} in ${summary.seconds.toFixed(1)} s (seed ${summary.seed}, as of ${summary.asOf})`);
  }
}

export function seedReport(summary: SeedSummary): string {
  const t = summary.traps;
  const rows = textTable(['table', 'rows'], SEED_TABLES.map((table) => [table, summary.rows[table]]));
  const traps: [string, number][] = [
    ['PDS-sensitive patients', t.pdsSensitivePatients],
    ['deceased patients', t.deceasedPatients],
    ['patients no longer registered', t.inactivePatients],
    ['patients with only a temporary registration', t.temporaryOnlyPatients],
    ['soft-deleted patients', t.softDeletedPatients],
    ['Type 1 opt-outs in force', t.type1OptOutInForce],
    ['Type 1 opt-outs ended (opted back in)', t.type1OptedBackIn],
    ['National Data Opt-outs in force', t.nationalOptOutInForce],
    ['National Data Opt-outs ended', t.nationalOptedBackIn],
    ...Object.entries(t.sensitiveCodeRows).map(([category, n]) => [`rows with ${category} codes (sensitive)`, n] as [string, number]),
    ...Object.entries(t.confidentialRows).map(([table, n]) => [`confidential ${table} rows`, n ?? 0] as [string, number]),
    ...Object.entries(t.freeTextRows).map(([column, n]) => [`free text in ${column}`, n] as [string, number]),
    ['documents (content is never extractable)', t.documents],
    ...Object.entries(t.softDeletedRows).map(([table, n]) => [`soft-deleted ${table} rows`, n ?? 0] as [string, number]),
    ...Object.entries(t.updatedRows).map(([table, n]) => [`${table} rows updated after recording`, n ?? 0] as [string, number]),
    ['registration ending on the as-of date', t.registrationEndingOnAsOf],
    ['death the day before the as-of date', t.deathDayBeforeAsOf],
    ['opt-out ended the day before the as-of date', t.optOutEndingDayBeforeAsOf],
  ];
  return `${rows}\n${textTable(['trap the policy must exclude (or judge as of the snapshot)', 'count'], traps)}`;
}
