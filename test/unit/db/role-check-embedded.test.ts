/**
 * `exdef db check` on the embedded database: it used to say "ok" for a directory with no tables at
 * all. It checks the catalogue's tables, and on either engine the terminology the policy's
 * sensitive code sets are built from (a run refuses a terminology without them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { roleChecks } from '../../../src/db/role-check.js';
import { ruleCatalogue } from '../../../src/pipeline/lint-definition.js';
import { defaultPolicy } from '../../../src/policy/policy.js';
import { seedDatabase } from '../../../src/seed/seed-database.js';
import { TODAY } from '../../support/compile.js';
import { scratchDatabase, testEngines, type ScratchDatabase } from '../../support/engines.js';

const sets = defaultPolicy(ruleCatalogue).sensitiveCodeSets;

describe('exdef db check on an embedded database with nothing in it', () => {
  it('names the missing tables (not ok) and does not look at a terminology that is not there', async () => {
    const s = await scratchDatabase('pglite');
    try {
      const { checks } = await roleChecks(s.db, referenceCatalogue(), sets);
      const tables = checks.find((c) => /tables exist/.test(c.need))!;
      expect(tables.ok).toBe(false);
      expect(tables.found).toMatch(/^missing: .*reporting\.patient/);
      expect(checks.some((c) => /terminology/.test(c.need))).toBe(false);
    } finally {
      await s.drop();
    }
  });
});

describe.each(testEngines())('exdef db check of the terminology (%s)', (engine) => {
  let s: ScratchDatabase;
  beforeAll(async () => {
    s = await scratchDatabase(engine);
    await seedDatabase(s.db, referenceCatalogue(), { practices: 3, patients: 10, seed: 3, asOf: TODAY });
  });
  afterAll(async () => s?.drop());

  it('ok while it holds every sensitive set, and names the reference set once its members are gone', async () => {
    const terminology = async () => (await roleChecks(s.db, referenceCatalogue(), sets)).checks.find((c) => /terminology/.test(c.need))!;
    expect(await terminology()).toMatchObject({ ok: true, found: 'all 5 reference sets and 4 concepts' });
    await s.db.exec('DELETE FROM terminology.refset_member WHERE refset_id = 999004371000000100');
    expect(await terminology()).toMatchObject({ ok: false, found: 'reference set 999004371000000100 has no active members (sensitive set assisted_fertilisation)', fix: expect.stringContaining('exdef terminology import') });
  });
});
