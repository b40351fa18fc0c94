import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { seedDatabase } from '../../../src/seed/seed-database.js';
import { bindParameters, type RunValues } from '../../../src/sql/bind-parameters.js';
import type { CompiledPlan, CompiledQuery } from '../../../src/sql/compile-extract.js';
import { COMPILER_LITERALS, compileFile, compileText, shippedDefinitions, sqlStringLiterals, TODAY } from '../../support/compile.js';
import { scratchDatabase, testEngines, type ScratchDatabase } from '../../support/engines.js';

/**
 * Every compiled query of every shipped definition plans (EXPLAIN) and runs on both engines, and
 * hostile literals are bound parameters that change nothing but the result.
 */

const KEY = 'k'.repeat(32);

function runValues(plan: CompiledPlan): RunValues {
  return {
    snapshotDate: TODAY,
    window: { start: '2026-11-20T02:00:00Z', end: '2026-11-21T02:00:00Z' },
    entered: ['21', '22'],
    recordKey: 'r'.repeat(32),
    keys: new Map(plan.keys.map((k) => [k, KEY])),
  };
}

function queriesOf(plan: CompiledPlan): [string, CompiledQuery][] {
  return [
    ['population', plan.population],
    ...plan.datasets.flatMap((d): [string, CompiledQuery][] => (d.delta ? [[d.name, d.full], [`${d.name} (delta)`, d.delta]] : [[d.name, d.full]])),
  ];
}

/** Row counts of every reporting table: equal before and after means nothing was changed. */
async function tableCounts(s: ScratchDatabase): Promise<Record<string, string>> {
  const rows = await s.db.query<{ name: string; n: string }>(
    "SELECT c.relname AS name, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('reporting', 'terminology') AND c.relkind = 'r' ORDER BY 1",
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.n]));
}

/** A definition over referrals whose filter and one field carry `literal` (written in the expression language). */
function hostileDefinition(literal: string): string {
  return `exdef: 1
id: hostile-literals
title: Hostile literals
version: 1
owner: { organisation: Test, contact: test@example.nhs.uk }
use_case: data_warehouse
care_type: indirect
population:
  registration: permanent
  deceased: exclude
  type1_opt_out: respect
  practices: [A81001, A81002, A81003]
mode: full
schedule: { frequency: weekly }
output: { csv: { delimiter: ',', quote: '"', header: true, line_ending: lf }, layout: single_zip }
datasets:
  - name: referrals
    from: referral
    where: ${JSON.stringify(`target_service <> ${literal} or target_service = ${literal}`)}
    fields:
      - name: echoed
        value: ${JSON.stringify(`coalesce(${literal}, target_service)`)}
        justification: Echoes the literal back.
`;
}

const HOSTILE: [string, string][] = [
  ['an SQL injection', "'; DROP TABLE reporting.patient; --"],
  ['a quote-escaped injection', "'' OR 1=1; DELETE FROM reporting.observation; --"],
  ['a parameter placeholder', '$1'],
  ['a dollar-quoted body', '$$; DROP SCHEMA reporting CASCADE; $$'],
  ['backslashes', 'C:\\temp\\\\x\\'],
  ['a comment opener', '/* -- */'],
  ['unicode and a line break', 'café \u2028 line\nbreak'],
  ['10,000 characters', 'x'.repeat(10_000)],
];

/** A text literal of the expression language: single quotes, a quote written twice. */
function textLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

for (const engine of testEngines()) {
  describe(`compiled SQL on ${engine}`, () => {
    let s: ScratchDatabase;

    beforeAll(async () => {
      s = await scratchDatabase(engine);
      await seedDatabase(s.db, referenceCatalogue(), { practices: 3, patients: 150, seed: 5, asOf: TODAY });
    });
    afterAll(async () => {
      await s?.drop();
    });

    for (const file of shippedDefinitions().filter((f) => f.endsWith('.exdef.yaml'))) {
      it(`${file}: every query plans and runs`, async () => {
        const plan = await compileFile(file);
        for (const [what, query] of queriesOf(plan)) {
          const params = bindParameters(plan, query, runValues(plan));
          const explained = await s.db.query(`EXPLAIN ${query.sql}`, params);
          expect(explained.length, what).toBeGreaterThan(0);
          const rows = await s.db.query(query.sql, params);
          const columns = what === 'population' ? ['patient_id', 'practice', 'opted_out'] : plan.datasets.find((d) => what.startsWith(d.name))!.columns.map((c) => c.name);
          if (rows.length > 0) expect(Object.keys(rows[0]!), what).toEqual(columns);
        }
      });
    }

    describe('hostile literals are bound parameters', () => {
      for (const [what, value] of HOSTILE) {
        it(`${what}: changes nothing but the result`, async () => {
          const before = await tableCounts(s);
          const { plan } = compileText(hostileDefinition(textLiteral(value)));
          const query = plan.datasets[0]!.full;
          // The SQL text holds no value of the definition: its only string literals are the compiler's own.
          for (const literal of sqlStringLiterals(query.sql)) expect(COMPILER_LITERALS.has(literal), literal.slice(0, 60)).toBe(true);
          const literals = plan.parameters.filter((p) => p.source === 'definition');
          expect(literals.map((p) => p.value)).toEqual([value, value, value]);
          const rows = await s.db.query<{ echoed: string }>(query.sql, bindParameters(plan, query, runValues(plan)));
          // Every referral of the population matches `<> v or = v`; each echoes the literal back unchanged.
          const [{ n }] = (await s.db.query<{ n: string }>(
            "SELECT count(*)::text AS n FROM reporting.referral WHERE deleted_at IS NULL AND confidential IS FALSE",
          )) as [{ n: string }];
          expect(rows.length).toBeGreaterThan(0);
          expect(rows.length).toBeLessThanOrEqual(Number(n));
          expect(new Set(rows.map((r) => r.echoed))).toEqual(new Set([value]));
          expect(await tableCounts(s)).toEqual(before);
        });
      }
    });
  });
}
