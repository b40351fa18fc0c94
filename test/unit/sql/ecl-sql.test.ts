import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import type { Ecl } from '../../../src/ir/expression.js';
import { loadCodeSetIndex, type CodeSetIndex } from '../../../src/policy/code-sets.js';
import { loadPolicy } from '../../../src/policy/policy.js';
import { ruleCatalogue } from '../../../src/pipeline/lint-definition.js';
import { seedDatabase } from '../../../src/seed/seed-database.js';
import { compilerKysely, parameterNames } from '../../../src/sql/compiler-db.js';
import { eclSet } from '../../../src/sql/ecl-sql.js';
import { ParameterSet } from '../../../src/sql/parameters.js';
import { aliasMaker, terminologyTables, type SqlContext } from '../../../src/sql/sql-context.js';
import { parseEclText } from '../../../src/parse/parse-ecl.js';
import { resolveEcl } from '../../../src/resolve/resolve-expression.js';
import { scratchDatabase, testEngines, type ScratchDatabase } from '../../support/engines.js';

/**
 * ECL compiled to SQL selects exactly the concepts that the in-memory evaluator (the one lint uses,
 * over the same sample terminology) selects: for the policy's sensitive sets, for hand-picked
 * expressions and for random ones.
 */

const catalogue = referenceCatalogue();
const policy = loadPolicy(ruleCatalogue).policy!;

function ecl(text: string): Ecl {
  const parsed = parseEclText(text, () => ({ file: 'x', start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } }));
  const resolved = parsed.ecl ? resolveEcl({ diagnostics: [] }, parsed.ecl) : undefined;
  if (!resolved) throw new Error(`not ECL: ${text}`);
  return resolved;
}

/** The concept ids an ECL selects in the database, by the compiled SQL. */
async function inDatabase(s: ScratchDatabase, expression: Ecl): Promise<string[]> {
  const params = new ParameterSet();
  const ctx = { catalogue, params, guardedSets: [], terminology: terminologyTables(catalogue), alias: aliasMaker() } as unknown as SqlContext;
  const query = sql`SELECT DISTINCT id FROM (${eclSet(ctx, expression, { source: 'definition', label: 'test' })}) AS q(id) ORDER BY 1`.compile(compilerKysely());
  const values = parameterNames(query).map((name) => String(params.get(name)!.value));
  const rows = await s.db.query<{ id: string }>(query.sql, values);
  return rows.map((r) => r.id);
}

function inMemory(index: CodeSetIndex, expression: Ecl): string[] {
  return [...index.evaluate(expression)].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
}

const CASES = [
  '73211009 OR 38341003',
  '<< 73211009',
  '< 73211009',
  '^ 999004381000000103',
  '<< 118199002 OR << 365957000',
  '<< 404684003 MINUS << 73211009',
  '(<< 73211009 OR << 38341003) AND << 404684003',
  '<< 40733004 MINUS ^ 999004381000000103',
  '<< (^ 999004381000000103)',
  '^ 999004381000000103 AND << 40733004',
  '(<< 73211009 MINUS < 73211009) OR 38341003',
];

for (const engine of testEngines()) {
  describe(`ECL in SQL on ${engine}`, () => {
    let s: ScratchDatabase;
    let index: CodeSetIndex;
    let concepts: string[];

    beforeAll(async () => {
      s = await scratchDatabase(engine);
      await seedDatabase(s.db, catalogue, { practices: 3, patients: 1, seed: 1, asOf: '2026-11-21' });
      index = (await loadCodeSetIndex(policy.sensitiveCodeSets)).index!;
      concepts = (await s.db.query<{ id: string }>('SELECT id::text FROM terminology.concept ORDER BY id')).map((r) => r.id);
    });
    afterAll(async () => {
      await s?.drop();
    });

    it('each sensitive set of the policy selects the same concepts as lint evaluates', async () => {
      for (const set of policy.sensitiveCodeSets) {
        const found = await inDatabase(s, set.ecl);
        expect(found.length, set.name).toBeGreaterThan(0);
        expect(found, set.name).toEqual(inMemory(index, set.ecl));
      }
    });

    for (const text of CASES) {
      it(`${text}`, async () => {
        expect(await inDatabase(s, ecl(text))).toEqual(inMemory(index, ecl(text)));
      });
    }

    it('random expressions over the sample concepts agree', async () => {
      const leaf = fc.constantFrom(...concepts.filter((_, i) => i % 3 === 0)).map((id): Ecl => ({ kind: 'concept', id }));
      const tree = fc.letrec<{ ecl: Ecl }>((tie) => ({
        ecl: fc.oneof(
          { depthSize: 'small', withCrossShrink: true },
          leaf,
          fc.record({ kind: fc.constantFrom('descendantOrSelf' as const, 'descendant' as const, 'memberOf' as const), operand: tie('ecl') }) as fc.Arbitrary<Ecl>,
          fc.record({ kind: fc.constantFrom('or' as const, 'and' as const, 'minus' as const), left: tie('ecl'), right: tie('ecl') }) as fc.Arbitrary<Ecl>,
        ),
      })).ecl;
      await fc.assert(
        fc.asyncProperty(tree, async (expression) => {
          expect(await inDatabase(s, expression)).toEqual(inMemory(index, expression));
        }),
        { numRuns: 200, seed: 20261121 },
      );
    });
  });
}
