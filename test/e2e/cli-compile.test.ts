import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../../src/resources.js';
import type { CompiledPlan } from '../../src/sql/compile-extract.js';
import type { OperationNode, RootOperationNode } from 'kysely';
import { referenceCatalogue } from '../../src/catalogue/load-catalogue.js';
import { ruleCatalogue } from '../../src/pipeline/lint-definition.js';
import { loadPolicy } from '../../src/policy/policy.js';
import { compilerContext, compileVerified } from '../../src/sql/compile-extract.js';
import { fullQuery } from '../../src/sql/dataset-query.js';
import { guardOf, markNode } from '../../src/sql/guards.js';
import { runCli } from '../support/cli.js';
import { compileText, TODAY } from '../support/compile.js';

let work: string;
const definition = (name: string) => join(resources.definitions, name);
const at = (name: string) => join(work, name);

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'exdef-compile-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('exdef compile', () => {
  it('writes one SQL file per dataset query, the population and plan.json', () => {
    const out = at('chis');
    const result = runCli(['compile', definition('chis-immunisations.exdef'), '-o', out, '--today', '2026-11-21']);
    expect(result.stderr).toMatch(/compiled chis-immunisations version \d+/);
    expect(result.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      'children.k-anonymity.sql',
      'children.sql',
      'immunisations.k-anonymity.sql',
      'immunisations.sql',
      'plan.json',
      'population.sql',
    ]);
    const plan = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8')) as CompiledPlan;
    expect(plan.definition).toMatchObject({ id: 'chis-immunisations', mode: 'delta' });
    expect(plan.definition.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    const sqlText = readFileSync(join(out, 'immunisations.sql'), 'utf8');
    expect(sqlText).toMatch(/^-- exdef compiled SQL for chis-immunisations version \d+/);
    expect(sqlText).toContain(`-- fingerprint ${plan.definition.fingerprint}`);
    expect(sqlText).toMatch(/-- {3}\$\d+ snapshot_date date given at run time: the snapshot date/);
    expect(sqlText).toMatch(/-- {3}\$\d+ practices text\[\] = \{A81001, A81002\}/);
    expect(sqlText.trimEnd().endsWith(';')).toBe(true);
  });

  it('prints the SQL without -o, and the plan with --json', () => {
    const shown = runCli(['compile', definition('two-week-wait-audit.exdef.yaml'), '--today', '2026-11-21']);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/-- query: dataset referrals \(from referral\), full extract/);
    expect(shown.stdout).toMatch(/-- query: the population/);
    const json = runCli(['compile', definition('two-week-wait-audit.exdef.yaml'), '--json', '--today', '2026-11-21']);
    expect(json.status).toBe(0);
    const plan = JSON.parse(json.stdout) as CompiledPlan;
    expect(plan.datasets.map((d) => d.name)).toEqual(['referrals']);
    expect(plan.keys).toEqual(['tww-audit-key']);
  });

  it('never writes a pseudonym key: keys are named, their values given at run time', () => {
    const out = at('phm');
    const env = { EXDEF_KEY_PHM_ICB_KEY: 'this-key-must-never-appear-in-any-output-0123456789' };
    const result = runCli(['compile', definition('phm-warehouse.exdef.yaml'), '-o', out, '--json', '--today', '2026-11-21'], { env });
    expect(result.status).toBe(0);
    for (const file of readdirSync(out)) expect(readFileSync(join(out, file), 'utf8')).not.toContain('this-key-must-never');
    expect(result.stdout).not.toContain('this-key-must-never');
  });

  it('does not compile a definition with lint errors, and writes nothing', () => {
    const text = readFileSync(definition('phm-warehouse.exdef.yaml'), 'utf8').replace('value: sex', 'value: given_name');
    writeFileSync(at('bad.exdef.yaml'), text);
    const out = at('bad-out');
    const result = runCli(['compile', at('bad.exdef.yaml'), '-o', out, '--today', '2026-11-21']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/bad\.exdef\.yaml:\d+:\d+/);
    expect(result.stderr).toMatch(/has errors: it is not compiled/);
    expect(existsSync(out)).toBe(false);
  });

  it('explains why a definition cannot be compiled (delta over a table without change tracking)', () => {
    const catalogue = readFileSync(join(resources.referenceCatalogue), 'utf8').replace(
      "      updated_at: { type: timestamptz, class: system, description: Set to the writing transaction's now(). }\n      deleted_at: { type: timestamptz, class: system, nullable: true, description: Soft-delete tombstone. }\n    relations:\n      patient: { cardinality: one, table: patient, on: { patient_id: patient_id }, description: The patient. }\n      practice: { cardinality: one, table: practice, on: { practice_ods: ods_code }, description: The practice. }\n      consultation:",
      "      deleted_at: { type: timestamptz, class: system, nullable: true, description: Soft-delete tombstone. }\n    relations:\n      patient: { cardinality: one, table: patient, on: { patient_id: patient_id }, description: The patient. }\n      practice: { cardinality: one, table: practice, on: { practice_ods: ods_code }, description: The practice. }\n      consultation:",
    ).replace(/(  observation:\n(?:.*\n)*?)    change_tracking: updated_at\n/, '$1');
    writeFileSync(at('untracked.catalogue.yaml'), catalogue.replace('$schema=../../schema/catalogue.schema.json', `$schema=${join(resources.catalogueSchema)}`));
    const result = runCli(['compile', definition('chis-immunisations.exdef.yaml'), '--catalogue', at('untracked.catalogue.yaml'), '--today', '2026-11-21']);
    expect(result.stderr).toMatch(/delta mode needs a change-tracking column on each dataset's own table .*: `observation` has none/);
    expect(result.status).toBe(1);
  });

  it('refuses its own output when a guard is missing: the verifier checks the tree that becomes the SQL', () => {
    // No switch in production code leaves a guard out: the test takes the tree the compiler built
    // for a shipped definition, removes a sensitive-codes guard, and hands it to the step that
    // verifies a tree and compiles that very tree to text.
    const text = readFileSync(definition('phm-warehouse.exdef.yaml'), 'utf8');
    const { definition: resolved } = compileText(text, definition('phm-warehouse.exdef.yaml'));
    const { ctx, expectations } = compilerContext(resolved, { catalogue: referenceCatalogue(), policy: loadPolicy(ruleCatalogue).policy!, today: TODAY });
    const dataset = resolved.datasets.find((d) => d.name === 'blood_pressure')!;
    const node = fullQuery(ctx, dataset).toOperationNode();
    let removed = false;
    const strip = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(strip);
      if (!value || typeof value !== 'object') return value;
      const n = value as Record<string, unknown>;
      if (!removed && n['kind'] === 'AndNode' && guardOf(n['right'] as OperationNode)?.kind === 'sensitive-codes') {
        removed = true;
        return strip(n['left']);
      }
      const copy: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(n)) copy[k] = strip(v);
      const info = guardOf(value as OperationNode);
      if (info) markNode(info, copy as unknown as OperationNode);
      return copy;
    };
    const tree = strip(node) as RootOperationNode;
    expect(removed).toBe(true);
    expect(() => compileVerified(tree, expectations, 'dataset blood_pressure')).toThrow(
      /the compiled SQL for dataset blood_pressure failed its guard check: the sensitive-codes guard on \w+ .* is missing/,
    );
    // The CLI knows no fault-injection variable: with it set, the compile is the ordinary one.
    const out = at('no-fault-switch');
    const result = runCli(['compile', definition('phm-warehouse.exdef.yaml'), '-o', out, '--today', '2026-11-21'], { env: { EXDEF_FAULT_OMIT_GUARD: 'sensitive-codes' } });
    expect(result.status).toBe(0);
    expect(readFileSync(join(out, 'blood_pressure.sql'), 'utf8')).toMatch(/sensitive_codes/);
  });

  it('usage errors exit 2 with one line', () => {
    const missing = runCli(['compile', at('nope.exdef.yaml')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/nope\.exdef\.yaml: no such file/);
    const badDate = runCli(['compile', definition('phm-warehouse.exdef.yaml'), '--today', '21/11/2026']);
    expect(badDate.status).toBe(2);
    expect(badDate.stderr).toMatch(/--today must be a date written YYYY-MM-DD/);
  });

  it('replaces an earlier compile in the same directory and removes files of datasets that are gone', () => {
    const out = at('replace');
    expect(runCli(['compile', definition('phm-warehouse.exdef.yaml'), '-o', out, '--today', '2026-11-21']).status).toBe(0);
    expect(readdirSync(out)).toContain('blood_pressure.sql');
    const text = readFileSync(definition('phm-warehouse.exdef.yaml'), 'utf8');
    const withoutBp = text.slice(0, text.indexOf('  - name: blood_pressure'));
    writeFileSync(at('two-datasets.exdef.yaml'), withoutBp);
    expect(runCli(['compile', at('two-datasets.exdef.yaml'), '-o', out, '--today', '2026-11-21']).status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['long_term_conditions.k-anonymity.sql', 'long_term_conditions.sql', 'people.k-anonymity.sql', 'people.sql', 'plan.json', 'population.sql']);
  });
});
