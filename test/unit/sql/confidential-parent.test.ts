/**
 * Items inside a confidential consultation are confidential too (issue 11): the catalogue says so
 * (`confidential_via` on observation), every scan of observation carries a `confidential-parent`
 * guard at any depth (the dataset's own table, exists() bodies, nested exists(), the population
 * filter), the verifier refuses a tree without it, and on both engines an observation recorded in a
 * confidential consultation never shows, whatever route the definition takes, while the same row
 * in a consultation that is not confidential does.
 */
import { sql, type OperationNode } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { readFileSync } from 'node:fs';
import { resources } from '../../../src/resources.js';
import { seedDatabase } from '../../../src/seed/seed-database.js';
import { compilerContext } from '../../../src/sql/compile-extract.js';
import { fullQuery } from '../../../src/sql/dataset-query.js';
import { guardOf, markNode, type GuardInfo } from '../../../src/sql/guards.js';
import { GuardVerificationError, verifyGuards } from '../../../src/sql/verify-guards.js';
import { compileText, TODAY } from '../../support/compile.js';
import { scratchDatabase, testEngines, type ScratchDatabase } from '../../support/engines.js';
import { catalogue, compilePlan, D, IN_SCOPE, outputs, policy } from './closure-harness.js';
import { probeDefinition } from './probe-definition.js';

const MARK = '7373';
const field = (name: string, value: string) => `    - { name: ${name}, value: ${JSON.stringify(value)}, justification: Probes confidential consultations (${name}). }`;

const DATASETS = `
- name: readings
  from: observation
  where: value_numeric = ${MARK}
  fields:
${field('observation_id', 'observation_id')}
${field('seen_on', 'consultation.consultation_date')}
- name: flags
  from: patient
  fields:
${field('patient_id', 'patient_id')}
${field('marked', `exists(observations where value_numeric = ${MARK})`)}
${field('marked_in_consultation', `exists(consultations where exists(observations where value_numeric = ${MARK}))`)}
`;
const POPULATION_PROBE = `
- name: people
  from: patient
  fields:
${field('patient_id', 'patient_id')}
`;

/** Every guard node of a tree with its info. */
function guards(root: OperationNode): { node: OperationNode; info: GuardInfo }[] {
  const found: { node: OperationNode; info: GuardInfo }[] = [];
  const seen = new WeakSet<object>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (!value || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    const info = guardOf(value as OperationNode);
    if (info) found.push({ node: value as OperationNode, info });
    for (const child of Object.values(value)) walk(child);
  };
  walk(root);
  return found;
}

/** The tree with `target` replaced by TRUE (copies on the path to it keep their structural marks). */
function replaced(root: OperationNode, target: OperationNode): OperationNode {
  const rewrite = (value: unknown): unknown => {
    if (value === target) return sql`TRUE`.toOperationNode();
    if (Array.isArray(value)) {
      const out = value.map(rewrite);
      return out.some((v, i) => v !== value[i]) ? out : value;
    }
    if (!value || typeof value !== 'object') return value;
    let changed = false;
    const copy: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      const r = rewrite(child);
      if (r !== child) changed = true;
      copy[key] = r;
    }
    if (!changed) return value;
    const info = guardOf(value as OperationNode);
    if (info) markNode(info, copy as unknown as OperationNode);
    return copy;
  };
  return rewrite(root) as OperationNode;
}

function refusal(tree: OperationNode, expectations: Parameters<typeof verifyGuards>[1]): string {
  try {
    verifyGuards(tree, expectations, 'the test query');
  } catch (error) {
    expect(error).toBeInstanceOf(GuardVerificationError);
    return (error as Error).message;
  }
  return 'accepted';
}

describe('the verifier requires the confidential-parent guard on every scan of observation', () => {
  const cases: [string, string, string | undefined, 'full' | 'delta'][] = [
    ['a dataset from observation (its own table), in a delta definition', DATASETS, undefined, 'delta'],
    ['exists() and a nested exists() in fields of a dataset from patient', DATASETS, undefined, 'full'],
    ['the population filter', POPULATION_PROBE, `exists(observations where value_numeric = ${MARK})`, 'full'],
  ];
  for (const [what, datasets, where, mode] of cases) {
    it(`${what}: every confidential-parent guard the compiler puts in is required`, () => {
      const { definition } = compileText(probeDefinition({ datasets, ...(where ? { where } : {}), mode }));
      const { ctx, expectations } = compilerContext(definition, { catalogue, policy, today: TODAY });
      const dataset = what.startsWith('exists') ? definition.datasets[1]! : definition.datasets[0]!;
      const root = fullQuery(ctx, dataset).toOperationNode();
      expect(refusal(root, expectations), 'the compiled tree is accepted').toBe('accepted');
      const parents = guards(root).filter((g) => g.info.kind === 'confidential-parent');
      expect(parents.length).toBeGreaterThan(0);
      for (const g of parents) expect(g.info.relation).toBe('consultation');
      const aliases = new Set(parents.map((g) => g.info.alias));
      if (what.startsWith('a dataset')) expect(aliases).toContain('t');
      if (what.startsWith('exists')) expect([...aliases].filter((a) => a?.startsWith('e')).length, 'both exists() bodies').toBe(2);
      for (const g of parents) {
        const message = refusal(replaced(root, g.node), expectations);
        expect(message, `without the guard on ${g.info.alias}`).toMatch(new RegExp(`the confidential-parent guard \\(through consultation\\) is missing on observation \\(as ${g.info.alias}\\)`));
      }
    });
  }

  it('the guard reads the parent\'s flag, treats NULL as confidential, and correlates on the relation', () => {
    const { plan } = compileText(probeDefinition({ datasets: DATASETS }));
    expect(plan.datasets[0]!.full.sql).toContain(
      'NOT EXISTS (SELECT 1 FROM "reporting"."consultation" AS "t_consultation" WHERE "t_consultation"."consultation_id" = "t"."consultation_id" AND "t_consultation"."confidential" IS NOT FALSE)',
    );
  });
});

describe('catalogue: confidential_via', () => {
  const reference = readFileSync(resources.referenceCatalogue, 'utf8');
  const variant = (from: string, to: string) => {
    expect(reference).toContain(from);
    const text = reference.replace(from, to);
    return { text, result: parseCatalogue('provider.catalogue.yaml', text) };
  };
  const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;
  const errors = (result: ReturnType<typeof parseCatalogue>) => result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.span?.start.line} ${d.code}: ${d.message}`);

  it('the reference catalogue declares observation inside its consultation', () => {
    expect(catalogue.tables.find((t) => t.name === 'observation')!.confidentialVia).toEqual(['consultation']);
    expect(catalogue.tables.filter((t) => t.confidentialVia).map((t) => t.name)).toEqual(['observation']);
  });

  it('refuses a relation the table does not have, with a suggestion, at its place', () => {
    const { text, result } = variant('confidential_via: [consultation]', 'confidential_via: [consultaton]');
    expect(result.catalogue).toBeUndefined();
    expect(errors(result)).toEqual([
      `${lineOf(text, 'confidential_via: [consultaton]')} catalogue-confidential-via: confidential_via of table \`observation\` names \`consultaton\`, which is not one of its relations; did you mean \`consultation\`?`,
    ]);
  });

  it('refuses a to-many relation', () => {
    const { text, result } = variant(
      '    confidential_column: confidential\n    columns:\n      consultation_id:',
      '    confidential_column: confidential\n    confidential_via: [observations]\n    columns:\n      consultation_id:',
    );
    expect(errors(result)).toEqual([
      `${lineOf(text, 'confidential_via: [observations]')} catalogue-confidential-via: confidential_via of table \`consultation\` names \`observations\`, whose cardinality is many: a row can only be inside one parent (cardinality one)`,
    ]);
  });

  it('refuses a parent without a confidential column', () => {
    const { text, result } = variant('confidential_via: [consultation]', 'confidential_via: [consultation, practice]');
    expect(errors(result)).toEqual([
      `${lineOf(text, 'confidential_via: [consultation, practice]')} catalogue-confidential-via: confidential_via of table \`observation\` names \`practice\`, which leads to \`practice\`, a table without a confidential_column`,
    ]);
  });

  it('refuses a value that is not a list of names (schema)', () => {
    const { result } = variant('confidential_via: [consultation]', 'confidential_via: consultation');
    expect(result.catalogue).toBeUndefined();
    expect(result.diagnostics.some((d) => /confidential_via/.test(d.message))).toBe(true);
  });
});

describe.each(testEngines())('an observation inside a confidential consultation, on %s', (engine) => {
  let scratch: ScratchDatabase;
  let member: string;
  let consultation: string;
  let observation: string;
  const datasets = compilePlan(compileText(probeDefinition({ datasets: DATASETS })).definition);
  const population = compilePlan(compileText(probeDefinition({ datasets: POPULATION_PROBE, where: `exists(observations where value_numeric = ${MARK})` })).definition);

  beforeAll(async () => {
    scratch = await scratchDatabase(engine, { maxConnections: 12 });
    await seedDatabase(scratch.db, catalogue, { practices: 3, patients: 60, seed: 17, asOf: D });
    const [row] = await scratch.db.query<{ patient_id: string }>(
      `SELECT p.patient_id::text FROM reporting.patient p
         JOIN reporting.registration r ON r.patient_id = p.patient_id AND r.practice_ods = $1 AND r.end_date IS NULL AND r.deleted_at IS NULL AND r.registration_type = 'permanent'
        WHERE p.deleted_at IS NULL AND NOT p.pds_sensitive AND p.date_of_death IS NULL
          AND (p.ethnicity_code IS NULL OR p.ethnicity_code NOT IN (SELECT referenced_component_id FROM terminology.refset_member))
          AND NOT EXISTS (SELECT 1 FROM reporting.opt_out x WHERE x.patient_id = p.patient_id)
          AND (SELECT count(*) FROM reporting.registration y WHERE y.patient_id = p.patient_id) = 1
        ORDER BY p.patient_id LIMIT 1`,
      [IN_SCOPE],
    );
    member = row!.patient_id;
    const [ids] = await scratch.db.query<{ c: string; o: string }>(
      'SELECT ((SELECT max(consultation_id) FROM reporting.consultation) + 1000)::text AS c, ((SELECT max(observation_id) FROM reporting.observation) + 1000)::text AS o',
    );
    consultation = ids!.c;
    observation = ids!.o;
    await scratch.db.query(
      `INSERT INTO reporting.consultation (consultation_id, patient_id, practice_ods, consultation_date, consultation_type, summary, confidential, deleted_at)
       VALUES ($1::bigint, $2::bigint, $3, DATE '2026-10-10', 'face to face', NULL, TRUE, NULL)`,
      [consultation, member, IN_SCOPE],
    );
    // Not confidential itself, not deleted, a plain code: only its consultation makes it confidential.
    await scratch.db.query(
      `INSERT INTO reporting.observation (observation_id, patient_id, practice_ods, consultation_id, code, effective_date, recorded_at, value_numeric, value_unit, comment, confidential, deleted_at)
       VALUES ($1::bigint, $2::bigint, $3, $4::bigint, 38341003, DATE '2026-10-10', TIMESTAMPTZ '2026-10-10T10:00:00Z', ${MARK}, 'mmHg', NULL, FALSE, NULL)`,
      [observation, member, IN_SCOPE, consultation],
    );
  }, 120_000);
  afterAll(async () => scratch?.drop());

  const flagsOf = (out: Record<string, string[]>) => out['flags']!.map((r) => JSON.parse(r) as string[]).find((r) => r[0] === member);

  it('is absent from a dataset from observation, from exists() in fields, and from the population filter; present once the consultation is not confidential', async () => {
    const setFlag = (value: boolean) => scratch.db.query('UPDATE reporting.consultation SET confidential = $2::boolean WHERE consultation_id = $1::bigint', [consultation, value]);
    for (const flag of [true] as const) {
      await setFlag(flag);
      const hidden = await outputs(scratch.db, datasets);
      expect(hidden['readings'], `confidential = ${flag}`).toEqual([]);
      expect(flagsOf(hidden), 'the member is extracted').toBeDefined();
      expect(flagsOf(hidden)!.slice(1), `confidential = ${flag}: exists() does not see it`).toEqual(['false', 'false']);
      expect((await outputs(scratch.db, population))['people'], `confidential = ${flag}: the population filter does not see it`).not.toContain(JSON.stringify([member]));
    }

    await setFlag(false);
    const shown = await outputs(scratch.db, datasets);
    expect(shown['readings']).toEqual([JSON.stringify([observation, '2026-10-10'])]);
    expect(flagsOf(shown)!.slice(1)).toEqual(['true', 'true']);
    expect((await outputs(scratch.db, population))['people']).toContain(JSON.stringify([member]));
  });

  it('an observation in no consultation, or in one that does not exist, is not affected', async () => {
    await scratch.db.query('UPDATE reporting.consultation SET confidential = TRUE WHERE consultation_id = $1::bigint', [consultation]);
    // A parent that does not exist: the foreign key (if the DDL declares one) is dropped for this case.
    const fks = await scratch.db.query<{ conname: string }>(
      "SELECT conname FROM pg_constraint WHERE conrelid = 'reporting.observation'::regclass AND confrelid = 'reporting.consultation'::regclass AND contype = 'f'",
    );
    for (const fk of fks) await scratch.db.query(`ALTER TABLE reporting.observation DROP CONSTRAINT "${fk.conname}"`);
    for (const parent of [null, String(BigInt(consultation) + 99n)]) {
      await scratch.db.query('UPDATE reporting.observation SET consultation_id = $2::bigint WHERE observation_id = $1::bigint', [observation, parent]);
      const out = await outputs(scratch.db, datasets);
      expect(out['readings'], `consultation_id = ${parent}`).toEqual([JSON.stringify([observation, null])]);
    }
  });
});
