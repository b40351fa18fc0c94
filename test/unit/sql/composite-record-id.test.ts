/**
 * A record id is an HMAC of the row's key: a composite key is encoded unambiguously (a JSON array
 * of its values as text), where values joined with a separator could give two rows one id.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { ruleCatalogue } from '../../../src/pipeline/lint-definition.js';
import { loadPolicy } from '../../../src/policy/policy.js';
import { resources } from '../../../src/resources.js';
import { seedDatabase } from '../../../src/seed/seed-database.js';
import { bindParameters } from '../../../src/sql/bind-parameters.js';
import { compileExtract } from '../../../src/sql/compile-extract.js';
import { compileText, TODAY } from '../../support/compile.js';
import { scratchDatabase, type ScratchDatabase } from '../../support/engines.js';

const RECORD_KEY = 'r'.repeat(64);

describe('record ids of a table with a composite key', () => {
  let s: ScratchDatabase;
  beforeAll(async () => {
    s = await scratchDatabase('pglite');
    await seedDatabase(s.db, referenceCatalogue(), { practices: 3, patients: 80, seed: 9, asOf: TODAY });
  }, 120_000);
  afterAll(async () => {
    await s?.drop();
  });

  it('are the HMAC of the key as a JSON array of text, so ("a|b", "c") and ("a", "b|c") differ', async () => {
    const { definition } = compileText(readFileSync(join(resources.definitions, 'chis-immunisations.exdef.yaml'), 'utf8'));
    // The same catalogue, but observation keyed by (observation_id, patient_id).
    const catalogue = structuredClone(referenceCatalogue());
    catalogue.tables.find((t) => t.name === 'observation')!.primaryKey = ['observation_id', 'patient_id'];
    const plan = compileExtract(definition, { catalogue, policy: loadPolicy(ruleCatalogue).policy!, today: TODAY });
    const dataset = plan.datasets.find((d) => d.table === 'observation')!;
    expect(dataset.full.sql).toContain('json_build_array(("t"."observation_id")::text, ("t"."patient_id")::text)::text');
    expect(dataset.full.sql).not.toContain("concat_ws('|'");
    const rows = await s.db.query<{ record_id: string; __held: string }>(dataset.full.sql, bindParameters(plan, dataset.full, { snapshotDate: TODAY, recordKey: RECORD_KEY }));
    expect(rows.length).toBeGreaterThan(0);
    const keys = await s.db.query<{ observation_id: string; patient_id: string }>('SELECT observation_id::text AS observation_id, patient_id::text AS patient_id FROM reporting.observation');
    const ids = new Set(keys.map((k) => hmac(`["${k.observation_id}", "${k.patient_id}"]`)));
    for (const row of rows) expect(ids.has(row.record_id), row.record_id).toBe(true);
    // The encoding itself: two keys a separator would join into one string stay apart.
    const [pair] = await s.db.query<{ a: string; b: string }>("SELECT json_build_array('a|b'::text, 'c'::text)::text AS a, json_build_array('a'::text, 'b|c'::text)::text AS b");
    expect(pair!.a).not.toBe(pair!.b);
  }, 120_000);
});

function hmac(key: string): string {
  return createHmac('sha256', RECORD_KEY).update(key, 'utf8').digest('hex').slice(0, 32);
}
