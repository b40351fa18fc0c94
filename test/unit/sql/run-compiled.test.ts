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
    recordKey: 'r'.repeat(32),
    keys: new Map(plan.keys.map((k) => [k, KEY])),
  };
}

function queriesOf(plan: CompiledPlan): [string, CompiledQuery][] {
  return [
    ['population', plan.population],
    ...plan.datasets.flatMap((d): [string, CompiledQuery][] => [
      [d.name, d.full],
      ...(d.disclosure.kAnonymity ? [[`${d.name} (k-anonymity)`, d.disclosure.kAnonymity] as [string, CompiledQuery]] : []),
    ]),
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
          const columns =
            what === 'population' ? ['patient_id', 'practice', 'opted_out'] : what.endsWith('(k-anonymity)') ? ['k', 'groups'] : plan.datasets.find((d) => what.startsWith(d.name))!.columns.map((c) => c.name);
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

/** A definition whose fields use every operator and function on one observation (chosen by its key). */
function operatorsDefinition(observationId: string): string {
  const field = (name: string, value: string) => `      - name: ${name}\n        value: ${JSON.stringify(value)}\n        justification: Exercises one operator of the expression language.\n`;
  return `exdef: 1
id: operators
title: Operators
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
  - name: one
    from: observation
    where: ${JSON.stringify(`observation_id = ${observationId}`)}
    fields:
${[
  field('days_ago', 'today() - effective_date'),
  field('week_before', 'effective_date - 7'),
  field('day_after', 'effective_date + 1'),
  field('month_later', "effective_date + interval '1 month'"),
  field('year_earlier', "today() - interval '1 year'"),
  field('quarter', 'value_numeric / 4'),
  field('by_zero', 'value_numeric / 0'),
  field('negated', '-value_numeric'),
  field('rounded', 'round(value_numeric / 3, 2)'),
  field('absolute', 'abs(-value_numeric)'),
  field('product', 'value_numeric * 2 + 1'),
  field('listed', 'code in (271649006, 271650006)'),
  field('not_listed', 'code not in (271649006, 271650006)'),
  field('within', 'effective_date between 2000-01-01 and today()'),
  field('no_unit', 'value_unit is null'),
  field('has_unit', 'value_unit is not null'),
  field('not_high', 'not (value_numeric > 1000)'),
  field('recorded_on', 'date_of(recorded_at)'),
  field('recorded_after', 'recorded_at >= effective_date'),
  field('recorded', 'recorded_at'),
  field('practice_upper', 'upper(practice_ods)'),
  field('practice_lower', 'lower(practice_ods)'),
  field('unit_or_none', "coalesce(value_unit, 'none')"),
  field('recorded_year', 'year(recorded_at)'),
  field('recorded_month', 'month(recorded_at)'),
  field('either', "value_numeric > 1000 or practice_ods = 'A81001'"),
].join('')}`;
}

for (const engine of testEngines()) {
  describe(`every operator on ${engine}`, () => {
    let s: ScratchDatabase;
    beforeAll(async () => {
      s = await scratchDatabase(engine);
      await seedDatabase(s.db, referenceCatalogue(), { practices: 3, patients: 60, seed: 3, asOf: TODAY });
    });
    afterAll(async () => {
      await s?.drop();
    });

    it('computes what the language reference says, on a known row', async () => {
      // A systolic reading of a population patient, read raw (epoch milliseconds for the timestamp).
      const [raw] = await s.db.query<{ id: string; effective_date: string; value_numeric: string; value_unit: string | null; code: string; practice_ods: string; recorded_ms: string }>(
        `SELECT o.observation_id::text AS id, o.effective_date::text, o.value_numeric::text, o.value_unit, o.code::text, o.practice_ods,
                (extract(epoch FROM o.recorded_at) * 1000)::bigint::text AS recorded_ms
           FROM reporting.observation o JOIN reporting.patient p USING (patient_id)
          WHERE o.code = 271649006 AND o.deleted_at IS NULL AND NOT o.confidential AND p.patient_id > 25 AND p.date_of_death IS NULL AND NOT p.pds_sensitive
            AND EXISTS (SELECT 1 FROM reporting.registration r WHERE r.patient_id = p.patient_id AND r.end_date IS NULL AND r.registration_type = 'permanent' AND r.deleted_at IS NULL)
            AND NOT EXISTS (SELECT 1 FROM reporting.opt_out x WHERE x.patient_id = p.patient_id)
          ORDER BY o.observation_id LIMIT 1`,
      );
      expect(raw, 'a systolic reading of an eligible patient').toBeDefined();
      const { plan } = compileText(operatorsDefinition(raw!.id));
      const [row] = await s.db.query<Record<string, string | null>>(plan.datasets[0]!.full.sql, bindParameters(plan, plan.datasets[0]!.full, runValues(plan)));
      expect(row, 'the row is extracted').toBeDefined();
      const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
      const iso = (days: number) => new Date(days * 86_400_000).toISOString().slice(0, 10);
      const value = Number(raw!.value_numeric);
      const recorded = new Date(Number(raw!.recorded_ms));
      const effective = raw!.effective_date;
      // PostgreSQL adds a month to the same day, clamped to the last day of a shorter month.
      const [y, m, d] = effective.split('-').map(Number) as [number, number, number];
      const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
      const monthLater = new Date(Date.UTC(y, m, Math.min(d, lastDay))).toISOString().slice(0, 10);
      expect(row).toEqual({
        days_ago: String(day(TODAY) - day(effective)),
        week_before: iso(day(effective) - 7),
        day_after: iso(day(effective) + 1),
        month_later: monthLater,
        year_earlier: '2025-11-21',
        quarter: String(value / 4),
        by_zero: null,
        negated: String(-value),
        rounded: (Math.round((value / 3) * 100) / 100).toFixed(2),
        absolute: raw!.value_numeric,
        product: String(value * 2 + 1),
        listed: 'true',
        not_listed: 'false',
        within: 'true',
        no_unit: raw!.value_unit === null ? 'true' : 'false',
        has_unit: raw!.value_unit === null ? 'false' : 'true',
        not_high: 'true',
        recorded_on: recorded.toISOString().slice(0, 10),
        recorded_after: recorded.getTime() >= Date.parse(`${effective}T00:00:00Z`) ? 'true' : 'false',
        recorded: `${recorded.toISOString().slice(0, 19)}Z`,
        practice_upper: raw!.practice_ods.toUpperCase(),
        practice_lower: raw!.practice_ods.toLowerCase(),
        unit_or_none: raw!.value_unit ?? 'none',
        recorded_year: String(recorded.getUTCFullYear()),
        recorded_month: `${recorded.toISOString().slice(0, 7)}-01`,
        either: value > 1000 || raw!.practice_ods === 'A81001' ? 'true' : 'false',
      });
    });
  });
}
