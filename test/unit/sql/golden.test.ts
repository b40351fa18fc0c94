import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inCi } from '../../../src/ci-environment.js';
import type { CompiledPlan } from '../../../src/sql/compile-extract.js';
import { layoutSql, sqlFile } from '../../../src/sql/render-sql.js';
import { COMPILER_LITERALS, compileFile, shippedDefinitions, sqlStringLiterals } from '../../support/compile.js';

/**
 * Golden files: the SQL and the parameters of every query of every shipped definition, as
 * `exdef compile` writes them, reviewed by eye once and pinned in test/unit/sql/golden/. A change
 * to the compiler that changes any of them shows up here as a diff to review (and to accept with
 * `npx vitest run test/unit/sql/golden.test.ts -u`).
 */
const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');

async function goldenText(plan: CompiledPlan): Promise<string> {
  const parts: string[] = [];
  for (const dataset of plan.datasets) {
    parts.push(await sqlFile(plan, { kind: 'dataset', dataset, variant: 'full' }));
    if (dataset.disclosure.kAnonymity) parts.push(await sqlFile(plan, { kind: 'dataset', dataset, variant: 'k-anonymity' }));
  }
  parts.push(await sqlFile(plan, { kind: 'population' }));
  const parameters = plan.parameters.map((p) => ({ ...p }));
  parts.push(`-- parameters of the plan (plan.json):\n${JSON.stringify(parameters, null, 2).split('\n').map((l) => `-- ${l}`).join('\n')}\n`);
  return parts.join('\n');
}

/** Two SQL texts are the same statement when they differ only in whitespace and keyword case. */
function token(sqlText: string): string {
  let out = '';
  for (const part of sqlText.split(/('(?:[^']|'')*'|"(?:[^"]|"")*")/)) {
    out += part.startsWith("'") || part.startsWith('"') ? part : part.replace(/\s+/g, '').toLowerCase();
  }
  return out;
}

describe('golden SQL of the shipped definitions', () => {
  const yamlFiles = shippedDefinitions().filter((f) => f.endsWith('.exdef.yaml'));

  it('covers every definition', () => {
    expect(yamlFiles.length).toBeGreaterThanOrEqual(6);
  });

  for (const file of yamlFiles) {
    const id = file.replace(/^.*\//, '').replace(/\.exdef\.yaml$/, '');

    it(`${id}: SQL and parameters are as reviewed`, async () => {
      // A golden file is written only on purpose (-u, or a first run on a developer's machine,
      // reviewed before commit); under CI a missing one fails rather than being created.
      if (inCi()) expect(existsSync(join(GOLDEN, `${id}.sql`)), `test/unit/sql/golden/${id}.sql is missing: create it with -u and review it`).toBe(true);
      const plan = await compileFile(file);
      await expect(await goldenText(plan)).toMatchFileSnapshot(`golden/${id}.sql`);
    });

    it(`${id}: the exdef-language twin compiles to the same plan`, async () => {
      const fromYaml = await compileFile(file);
      const fromExdef = await compileFile(file.replace(/\.exdef\.yaml$/, '.exdef'));
      const strip = (plan: CompiledPlan) => ({ ...plan, definition: { ...plan.definition, file: '' }, parameters: plan.parameters.map(({ at: _at, ...p }) => p) });
      expect(strip(fromExdef)).toEqual(strip(fromYaml));
    });

    it(`${id}: the laid-out SQL is the plan's statement, differing only in whitespace and keyword case`, async () => {
      const plan = await compileFile(file);
      const queries = [plan.population, ...plan.datasets.flatMap((d) => [d.full, ...(d.disclosure.kAnonymity ? [d.disclosure.kAnonymity] : [])])];
      for (const query of queries) expect(token(await layoutSql(query.sql))).toBe(token(query.sql));
    });

    it(`${id}: no value of the definition is written into the SQL text`, async () => {
      const plan = await compileFile(file);
      const sqlTexts = [plan.population.sql, ...plan.datasets.flatMap((d) => [d.full.sql, d.disclosure.kAnonymity?.sql ?? ''])].join('\n');
      for (const parameter of plan.parameters.filter((p) => p.source === 'definition' && typeof p.value === 'string' && p.value.length > 3)) {
        expect(sqlTexts, parameter.name).not.toContain(String(parameter.value));
      }
      expect(sqlTexts).not.toMatch(/\$\d+(?!\d)(?!::)/);
      for (const literal of sqlStringLiterals(sqlTexts)) expect(COMPILER_LITERALS.has(literal), literal).toBe(true);
    });
  }
});
