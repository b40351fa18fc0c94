/**
 * The sensitive-code guard is evaluated in the terminology tables. A release imported without the
 * UK reference sets (an International-only snapshot) made four of the five IM1 sensitive sets
 * select nothing, and a run then extracted HIV, termination and IVF rows with NHS numbers, exit 0
 * (adversarial review, 2026-12-03). Now the import refuses such a release, and a run refuses a
 * terminology that lacks what the policy's sets are built from, before reading a row.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { ruleCatalogue } from '../../../src/pipeline/lint-definition.js';
import { defaultPolicy } from '../../../src/policy/policy.js';
import { resources } from '../../../src/resources.js';
import { seedDatabase } from '../../../src/seed/seed-database.js';
import { sensitiveSetSources } from '../../../src/sql/terminology-coverage.js';
import { importTerminology, missingFromRelease, readTerminology } from '../../../src/terminology/import-terminology.js';
import { approvedProvider } from '../../support/approvals.js';
import { TODAY } from '../../support/compile.js';
import { scratchDatabase, testEngines, type ScratchDatabase } from '../../support/engines.js';
import { indirectCareDefinition } from '../../support/indirect-definition.js';
import { runInProcess } from '../../support/in-process-run.js';

const sources = sensitiveSetSources(defaultPolicy(ruleCatalogue).sensitiveCodeSets);
const HIV_REFSET = '999004381000000103';

describe('what the IM1 sensitive sets are built from', () => {
  it('five reference sets and four concepts, each named with its sets; the sample release has them all', async () => {
    expect([...sources.refsets.keys()].sort()).toEqual(['1955851000000101', '999004351000000109', '999004361000000107', '999004371000000100', HIV_REFSET].sort());
    expect(sources.refsets.get(HIV_REFSET)).toEqual(['hiv_sti']);
    expect([...sources.concepts.keys()].sort()).toEqual(['118199002', '118200004', '171023003', '365957000']);
    const { terminology } = await readTerminology(resources.sampleTerminology);
    expect(missingFromRelease(terminology!, sources)).toEqual([]);
  });

  it('an International-only release (no refset file) is refused by the import, which then loads nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exdef-no-refsets-'));
    try {
      for (const file of readdirSync(resources.sampleTerminology).filter((f) => f.startsWith('sct2_'))) cpSync(join(resources.sampleTerminology, file), join(dir, file));
      const { terminology } = await readTerminology(dir);
      expect(missingFromRelease(terminology!, sources)).toContain(`reference set ${HIV_REFSET} has no active members (sensitive set hiv_sti)`);
      const s = await scratchDatabase('pglite');
      try {
        await seedDatabase(s.db, referenceCatalogue(), { practices: 3, patients: 10, seed: 2, asOf: TODAY });
        const before = await s.db.query<{ n: string }>('SELECT count(*)::text AS n FROM terminology.refset_member');
        await expect(importTerminology(s.db, dir, sources)).rejects.toThrow(/^nothing was loaded: the release in .* cannot hold back sensitive codes: reference set \d+ has no active members/);
        expect(await s.db.query<{ n: string }>('SELECT count(*)::text AS n FROM terminology.refset_member')).toEqual(before);
      } finally {
        await s.drop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a partial release (one member left of each sensitive reference set)', () => {
  it('is refused by the import over a terminology that holds them whole, which keeps what it had; the whole release loads again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exdef-partial-refsets-'));
    try {
      for (const file of readdirSync(resources.sampleTerminology)) {
        const text = readFileSync(join(resources.sampleTerminology, file), 'utf8');
        if (!file.startsWith('der2_')) {
          writeFileSync(join(dir, file), text);
          continue;
        }
        // Keep the header and the first member of each reference set.
        const seen = new Set<string>();
        const [header, ...lines] = text.split('\n').filter(Boolean);
        writeFileSync(join(dir, file), [header, ...lines.filter((l) => { const refset = l.split('\t')[4]!; return !seen.has(refset) && seen.add(refset); })].join('\n') + '\n');
      }
      expect(missingFromRelease((await readTerminology(dir)).terminology!, sources)).toEqual([]);
      const s = await scratchDatabase('pglite');
      try {
        await seedDatabase(s.db, referenceCatalogue(), { practices: 3, patients: 10, seed: 2, asOf: TODAY });
        const members = async () => (await s.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM terminology.refset_member WHERE refset_id = ${HIV_REFSET} AND active`))[0]!.n;
        const before = await members();
        expect(Number(before)).toBeGreaterThan(1);
        await expect(importTerminology(s.db, dir, sources)).rejects.toThrow(new RegExp(`^nothing was loaded: the release would take away most of what the sensitive sets hold: .*reference set ${HIV_REFSET} \\(sensitive set hiv_sti\\) from ${before} to 1`));
        expect(await members()).toBe(before);
        await importTerminology(s.db, resources.sampleTerminology, sources);
        expect(await members()).toBe(before);
      } finally {
        await s.drop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const DEFINITION = indirectCareDefinition({
  id: 'terminology-probe',
  title: 'Terminology probe',
  singlingOut: 'Only coded observations are sent, each code shared by many patients, with no date or person.',
  linkability: 'No pseudonym or key is sent, so the rows cannot be joined to anything.',
  datasets: `  - name: codes
    from: observation
    fields:
      - name: code
        value: code
        justification: Prevalence of each coded condition across the ICB's practices.
`,
});


describe.each(testEngines())('a run on a terminology that lacks a sensitive reference set (%s)', (engine) => {
  let s: ScratchDatabase;
  let work: string;
  let file: string;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'exdef-terminology-probe-'));
    s = await scratchDatabase(engine);
    await seedDatabase(s.db, referenceCatalogue(), { practices: 3, patients: 40, seed: 9, asOf: TODAY });
    file = join(work, 'terminology-probe.exdef.yaml');
    writeFileSync(file, DEFINITION);
  });
  afterAll(async () => {
    await s?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  const run = (out: string) =>
    runInProcess({ file, approvals: approvedProvider(file, { work }), db: s.db, out: join(work, out) });

  it('runs while the terminology has it, and refuses (exit 2, step terminology) once its members are gone, writing no extract', async () => {
    expect((await run('before')).output).toMatch(/\.zip$/);
    await s.db.exec(`DELETE FROM terminology.refset_member WHERE refset_id = ${HIV_REFSET}`);
    const refused = await run('after').then(
      () => undefined,
      (error: Error & { exitCode?: number; step?: string }) => error,
    );
    expect(refused?.message).toBe(`the terminology cannot hold back sensitive codes: reference set ${HIV_REFSET} has no active members (sensitive set hiv_sti)`);
    expect([refused?.exitCode, refused?.step]).toEqual([2, 'terminology']);
    expect(readdirSync(join(work, 'after')).filter((f) => f.endsWith('.zip'))).toEqual([]);
  });
});
