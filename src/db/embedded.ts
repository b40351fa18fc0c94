import type { Catalogue } from '../catalogue/catalogue.js';
import { tableOf } from '../catalogue/catalogue.js';
import type { Database } from './database.js';
import { chooseDatabase, openDatabase } from './open-database.js';
import { countRows, existingTables } from './reporting-schema.js';

/** The demo-sized population the embedded database is seeded with when a run finds it empty. */
export const EMBEDDED_SEED = { practices: 3, patients: 2000, seed: 1 };

/**
 * Opens the database a run reads: the one `url` names, or the embedded one (PGlite), which is
 * seeded with a synthetic population and the sample terminology when it has no patients yet, so
 * that a new user's first `exdef run` is a real extract with no server. `onSeeding` is told
 * before the seeding starts (it takes a while).
 */
export async function openEmbeddedSeeded(o: { url: string | undefined; catalogue: Catalogue; asOf: string; onSeeding?: (message: string) => void; maxConnections?: number }): Promise<Database> {
  const target = chooseDatabase({ url: o.url });
  const db = await openDatabase({ url: o.url, maxConnections: o.maxConnections ?? 10 });
  if (target.engine !== 'pglite') return db;
  try {
    const patient = tableOf(o.catalogue, o.catalogue.population.patient.table);
    const present = await existingTables(db, o.catalogue);
    const patients = present.has(patient.name) ? await countRows(db, patient.schema, patient.name) : 0;
    if (patients === 0) {
      o.onSeeding?.(`the embedded database (${db.target}) is empty: seeding ${EMBEDDED_SEED.patients.toLocaleString('en-GB')} synthetic patients and the sample terminology`);
      const { seedDatabase } = await import('../seed/seed-database.js');
      await seedDatabase(db, o.catalogue, { ...EMBEDDED_SEED, asOf: o.asOf, replace: true });
    }
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
