import { sql, type OperationNode, type RootOperationNode } from 'kysely';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { compilerContext, compileExtract, compileVerified } from '../../../src/sql/compile-extract.js';
import { compilerKysely } from '../../../src/sql/compiler-db.js';
import { fullQuery } from '../../../src/sql/dataset-query.js';
import { guardOf, markNode, type GuardKind } from '../../../src/sql/guards.js';
import { populationStateQuery } from '../../../src/sql/population.js';
import { verifyGuards, GuardVerificationError } from '../../../src/sql/verify-guards.js';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { loadPolicy } from '../../../src/policy/policy.js';
import { ruleCatalogue } from '../../../src/pipeline/lint-definition.js';
import { compileText, TODAY } from '../../support/compile.js';
import { probeDefinition } from './probe-definition.js';

/**
 * The compiler's check of its own output: a query tree missing any guard the policy requires is
 * refused. Each case takes a query the compiler built and removes one guard from its tree (as a
 * bug in the compiler would), or builds a query the compiler never would.
 */

const catalogue = referenceCatalogue();
const policy = loadPolicy(ruleCatalogue).policy!;

function setup(file: string, datasetName: string) {
  const text = readFileSync(`definitions/${file}`, 'utf8');
  const { definition } = compileText(text, `definitions/${file}`);
  const { ctx, expectations } = compilerContext(definition, { catalogue, policy, today: TODAY });
  const dataset = definition.datasets.find((d) => d.name === datasetName)!;
  return { ctx, expectations, dataset, definition };
}

/**
 * The tree without the first guard node matching `which`: the AND (or WHERE/ON) holding it loses
 * it; every untouched subtree keeps its identity (so the other guards are still recognised).
 */
function withoutGuard(root: OperationNode, which: (kind: GuardKind, alias: string | undefined, column: string | undefined, set: string | undefined) => boolean): { tree: OperationNode; removed: number } {
  let removed = 0;
  const isTarget = (node: unknown): boolean => {
    if (removed > 0 || !node || typeof node !== 'object') return false;
    const info = guardOf(node as OperationNode);
    return info !== undefined && which(info.kind, info.alias, info.column, info.set);
  };
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) {
      let changed = false;
      const out = value.map((v) => {
        const r = rewrite(v);
        if (r !== v) changed = true;
        return r;
      });
      return changed ? out : value;
    }
    if (!value || typeof value !== 'object') return value;
    const node = value as Record<string, unknown> & { kind?: string };
    if (node.kind === 'AndNode') {
      if (isTarget(node['left'])) {
        removed++;
        return rewrite(node['right']);
      }
      if (isTarget(node['right'])) {
        removed++;
        return rewrite(node['left']);
      }
    }
    if ((node.kind === 'WhereNode' && isTarget(node['where'])) || (node.kind === 'OnNode' && isTarget(node['on']))) {
      removed++;
      return { ...node, [node.kind === 'WhereNode' ? 'where' : 'on']: sql`TRUE`.toOperationNode() };
    }
    let changed = false;
    const copy: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node)) {
      const r = rewrite(child);
      if (r !== child) changed = true;
      copy[key] = r;
    }
    if (!changed) return value;
    // Keep the structural mark (dataset-root, population-base, ...) on the rewritten select.
    const info = guardOf(value as OperationNode);
    if (info) markNode(info, copy as unknown as OperationNode);
    return copy;
  };
  const tree = rewrite(root) as OperationNode;
  return { tree, removed };
}

function expectRefused(tree: OperationNode, expectations: Parameters<typeof verifyGuards>[1], message: RegExp) {
  let thrown: unknown;
  try {
    verifyGuards(tree, expectations, 'the test query');
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(GuardVerificationError);
  expect((thrown as Error).message).toMatch(message);
}

describe('guard verification refuses a query missing a guard', () => {
  it('accepts what the compiler builds', () => {
    const { ctx, expectations, dataset } = setup('phm-warehouse.exdef.yaml', 'blood_pressure');
    expect(() => verifyGuards(fullQuery(ctx, dataset).toOperationNode(), expectations, 'x')).not.toThrow();
  });

  const rowCases: [string, GuardKind, string, RegExp][] = [
    ['the soft-delete guard of the dataset table', 'tombstone', 't', /tombstone guard is missing on observation \(as t\)/],
    ['the confidential guard of the dataset table', 'confidential', 't', /confidential guard is missing on observation/],
    ['the sensitive-codes guard of the dataset table', 'sensitive-codes', 't', /sensitive-codes guard on code .* is missing on observation/],
    ['the soft-delete guard of a joined table', 'tombstone', 'j1', /tombstone guard is missing on patient \(as j1\)/],
    ['the population join', 'population-join', 't', /not joined to the population/],
    ['the PDS-sensitive exclusion', 'pds-sensitive', 'pt', /no pds-sensitive guard/],
    ['the deceased exclusion', 'deceased', 'pt', /no deceased guard/],
    ['the current-registration condition', 'registration-current', 'r', /does not read the patient and their registration|no registration-current guard/],
    ['the practice scope', 'registration-practice', 'r', /no registration-practice guard/],
    ['the permanent-registration condition', 'registration-permanent', 'r', /no registration-permanent guard/],
    ['the soft-deleted registration exclusion', 'registration-tombstone', 'r', /no registration-tombstone guard/],
    ['the soft-deleted patient exclusion', 'patient-tombstone', 'pt', /no patient-tombstone guard/],
    ['the opt-out exclusion', 'not-opted-out', 'b', /does not exclude opted-out patients/],
  ];
  for (const [what, kind, alias, message] of rowCases) {
    it(`refuses a full query without ${what}`, () => {
      const { ctx, expectations, dataset } = setup('phm-warehouse.exdef.yaml', 'blood_pressure');
      const { tree, removed } = withoutGuard(fullQuery(ctx, dataset).toOperationNode(), (k, a) => k === kind && a === alias);
      expect(removed, 'the guard was found and removed').toBe(1);
      expectRefused(tree, expectations, message);
    });
  }

  it('refuses a guard missing inside exists()', () => {
    const { ctx, expectations, dataset } = setup('diabetes-recall.exdef.yaml', 'due_for_review');
    const { tree, removed } = withoutGuard(fullQuery(ctx, dataset).toOperationNode(), (k, a) => k === 'sensitive-codes' && a === 'e1');
    expect(removed).toBe(1);
    expectRefused(tree, expectations, /sensitive-codes guard on code .* is missing on observation \(as e1\)/);
  });

  it('refuses a delta definition\'s query that lost a guard', () => {
    const { ctx, expectations, dataset } = setup('chis-immunisations.exdef.yaml', 'immunisations');
    const { tree, removed } = withoutGuard(fullQuery(ctx, dataset).toOperationNode(), (k, a) => k === 'confidential' && a === 't');
    expect(removed).toBe(1);
    expectRefused(tree, expectations, /confidential guard is missing on observation \(as t\)/);
  });

  it('refuses a population query without the PDS-sensitive exclusion', () => {
    const { ctx, expectations } = setup('chis-immunisations.exdef.yaml', 'immunisations');
    const { tree, removed } = withoutGuard(populationStateQuery(ctx).toOperationNode(), (k) => k === 'pds-sensitive');
    expect(removed).toBe(1);
    expectRefused(tree, expectations, /no pds-sensitive guard/);
  });

  it('refuses when the sensitive sets are not all excluded', () => {
    const { ctx, expectations, dataset } = setup('phm-warehouse.exdef.yaml', 'blood_pressure');
    const stricter = { ...expectations, sensitiveSets: [...expectations.sensitiveSets, 'a_set_of_another_policy'].sort() };
    expectRefused(fullQuery(ctx, dataset).toOperationNode(), stricter, /sensitive_codes CTE does not hold exactly the sets|sensitive-codes guard/);
  });

  it('refuses a population that does not flag the opt-outs the definition respects', () => {
    const { ctx, expectations, dataset } = setup('phm-warehouse.exdef.yaml', 'people');
    const expecting = { ...expectations, population: { ...expectations.population, optOuts: { type1: true, nationalDataOptOut: false } } };
    expectRefused(fullQuery(ctx, dataset).toOperationNode(), expecting, /does not flag the opted out|do not exclude the opted out/);
  });
});

describe('guard verification refuses queries the compiler would never build', () => {
  const { ctx, expectations } = setup('phm-warehouse.exdef.yaml', 'people');
  const db = compilerKysely();

  it('a select that is not a dataset, its k-anonymity or the population', () => {
    expectRefused(db.selectFrom('reporting.observation as t').select('t.code').toOperationNode(), expectations, /not one the compiler makes/);
  });

  it('an unguarded select of a table in a CTE beside the dataset (there is no key-only exception since deltas are comparisons)', () => {
    const leaky = db.selectFrom('reporting.observation as d0').select(sql`${sql.ref('d0.observation_id')}`.as('k1'));
    const root = fullQuery(ctx, setup('phm-warehouse.exdef.yaml', 'blood_pressure').dataset).toOperationNode() as unknown as Record<string, any>;
    const leakCte = (db.with('leak', () => leaky).selectFrom('leak').selectAll().toOperationNode() as unknown as Record<string, any>)['with'].expressions[0];
    const withLeak = { ...root, with: { ...root['with'], expressions: [...root['with'].expressions, leakCte] } };
    markNode({ kind: 'dataset-root' }, withLeak as unknown as OperationNode);
    expectRefused(withLeak as unknown as OperationNode, expectations, /guard .*is missing on observation \(as d0\)/);
  });

  it('a guarded table read inside raw SQL, where its guards cannot be checked', () => {
    const root = fullQuery(ctx, setup('phm-warehouse.exdef.yaml', 'people').dataset);
    const sneaky = root.where(sql<boolean>`EXISTS (SELECT 1 FROM ${sql.table('reporting.observation')} WHERE code = 1)`);
    markNode({ kind: 'dataset-root' }, sneaky.toOperationNode());
    expectRefused(sneaky.toOperationNode(), expectations, /read outside a FROM or JOIN/);
  });
});

describe('scan guards: every scan of a patient- or practice-linked table, at any depth', () => {
  // A dataset from practice reaching patients through exists() and a join back to patient, a
  // dataset of observations reaching the patient and their registrations, and a population filter
  // reaching other patients through the practice.
  const text = probeDefinition({
    where: 'exists(registrations where exists(practice.registrations where patient.sex = \'female\'))',
    datasets: `
- name: practices
  from: practice
  fields:
    - { name: ods_code, value: ods_code, justification: Identifies the practice in the probe. }
    - { name: has_female, value: "exists(registrations where patient.sex = 'female')", justification: Reaches patients through the practice. }
- name: readings
  from: observation
  fields:
    - { name: observation_id, value: observation_id, justification: Identifies the row in the probe. }
    - { name: born, value: year(patient.date_of_birth), justification: Reaches the patient through a join. }
    - { name: moved, value: "exists(patient.registrations where end_date is not null)", justification: Reaches registrations through the join. }
`,
  });
  const { definition } = compileText(text);
  const { ctx, expectations } = compilerContext(definition, { catalogue, policy, today: TODAY });
  const practices = definition.datasets[0]!;
  const readings = definition.datasets[1]!;

  it('accepts what the compiler builds', () => {
    expect(() => verifyGuards(fullQuery(ctx, practices).toOperationNode(), expectations, 'x')).not.toThrow();
    expect(() => verifyGuards(fullQuery(ctx, readings).toOperationNode(), expectations, 'x')).not.toThrow();
    expect(() => verifyGuards(populationStateQuery(ctx).toOperationNode(), expectations, 'x')).not.toThrow();
  });

  const cases: [string, () => OperationNode, GuardKind, string, RegExp][] = [
    ['the patient scope of registrations inside exists() of a practice dataset', () => fullQuery(ctx, practices).toOperationNode(), 'patient-scope', 'e1', /patient-scope guard \(population members\) is missing on registration \(as e1\)/],
    ['the practice scope of registrations inside exists()', () => fullQuery(ctx, practices).toOperationNode(), 'practice-scope', 'e1', /practice-scope guard is missing on registration \(as e1\)/],
    ['the patient scope of the patient joined inside exists()', () => fullQuery(ctx, practices).toOperationNode(), 'patient-scope', 'j1', /patient-scope guard \(population members\) is missing on patient \(as j1\)/],
    ['the practice scope of the practice dataset itself', () => fullQuery(ctx, practices).toOperationNode(), 'practice-scope', 't', /practice-scope guard is missing on practice \(as t\)/],
    ['the practice scope of an observation dataset (rows held elsewhere)', () => fullQuery(ctx, readings).toOperationNode(), 'practice-scope', 't', /practice-scope guard is missing on observation \(as t\)/],
    ['the patient scope of the patient joined to an observation', () => fullQuery(ctx, readings).toOperationNode(), 'patient-scope', 'j1', /patient-scope guard \(population members\) is missing on patient \(as j1\)/],
    ['the patient scope of registrations reached through a join', () => fullQuery(ctx, readings).toOperationNode(), 'patient-scope', 'e2', /patient-scope guard .* is missing on registration \(as e2\)/],
    ['the eligible scope of registrations in the population filter', () => populationStateQuery(ctx).toOperationNode(), 'patient-scope', 'e3', /patient-scope guard \(eligible patients\) is missing on registration \(as e3\)/],
    ['the eligible scope of the patient joined in the population filter', () => populationStateQuery(ctx).toOperationNode(), 'patient-scope', 'j1', /patient-scope guard \(eligible patients\) is missing on patient \(as j1\)/],
    ['the practice scope in the population filter', () => populationStateQuery(ctx).toOperationNode(), 'practice-scope', 'e2', /practice-scope guard is missing on practice \(as e2\)/],
    ['the opt-out exclusion of the eligible patients', () => populationStateQuery(ctx).toOperationNode(), 'not-opted-out', 'pt', /eligible patients do not exclude the opted out/],
  ];
  for (const [what, build, kind, alias, message] of cases) {
    it(`refuses a query without ${what}`, () => {
      // Aliases repeat across CTEs: a dataset's own scans are those of population members.
      const set = /eligible/.test(what) || /population filter/.test(what) ? 'eligible' : 'population';
      const { tree, removed } = withoutGuard(build(), (k, a, _c, s) => k === kind && a === alias && (k !== 'patient-scope' || s === set));
      expect(removed, 'the guard was found and removed').toBe(1);
      expectRefused(tree, expectations, message);
    });
  }

  it('refuses the population guards missing from the eligible set (PDS-sensitive, deceased)', () => {
    for (const kind of ['pds-sensitive', 'deceased', 'registration-current'] as const) {
      // The first match is in population_eligible (the first CTE that holds it).
      const { tree, removed } = withoutGuard(populationStateQuery(ctx).toOperationNode(), (k) => k === kind);
      expect(removed).toBe(1);
      expectRefused(tree, expectations, new RegExp(`no ${kind} guard|does not read the patient and their registration`));
    }
  });

  it('refuses a population-member scope where only eligible patients belong, and the reverse', () => {
    const swapSet = (root: OperationNode, alias: string, to: 'population' | 'eligible') => {
      const rewrite = (value: unknown): unknown => {
        if (Array.isArray(value)) return value.map(rewrite);
        if (!value || typeof value !== 'object') return value;
        const info = guardOf(value as OperationNode);
        if (info?.kind === 'patient-scope' && info.alias === alias) {
          const copy = { ...(value as object) } as OperationNode;
          markNode({ ...info, set: to }, copy);
          return copy;
        }
        const copy: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) copy[k] = rewrite(v);
        if (info) markNode(info, copy as unknown as OperationNode);
        return copy;
      };
      return rewrite(root) as OperationNode;
    };
    expectRefused(swapSet(populationStateQuery(ctx).toOperationNode(), 'e3', 'population'), expectations, /patient-scope guard \(eligible patients\) is missing on registration \(as e3\)/);
    expectRefused(swapSet(fullQuery(ctx, practices).toOperationNode(), 'e1', 'eligible'), expectations, /patient-scope guard \(population members\) is missing on registration \(as e1\)/);
  });

  it('refuses a select with a WITH of its own (a CTE name could then mean something else)', () => {
    const root = fullQuery(ctx, practices).toOperationNode() as unknown as Record<string, any>;
    const inner = compilerKysely().with('population', (db) => db.selectFrom('reporting.patient as x').select('x.patient_id')).selectFrom('population').selectAll().toOperationNode();
    const cte = { ...root['with'].expressions[0], expression: inner };
    const tree = { ...root, with: { ...root['with'], expressions: [cte, ...root['with'].expressions.slice(1)] } };
    markNode({ kind: 'dataset-root' }, tree as unknown as OperationNode);
    expectRefused(tree as unknown as OperationNode, expectations, /WITH of its own|sensitive_codes CTE|read outside a FROM or JOIN|sensitive-codes guard/);
  });
});

describe('exemption scope: a released set is expected only on the dataset\'s own table, in the datasets it names', () => {
  const text = probeDefinition({
    datasets: `
- name: released_here
  from: observation
  fields:
    - { name: observation_id, value: observation_id, justification: Identifies the row in the probe. }
    - { name: code, value: code, justification: The released coded column. }
    - { name: infected, value: "exists(patient.observations where code in << 40733004)", justification: Reaches other observations of the patient. }
- name: not_released
  from: observation
  fields:
    - { name: observation_id, value: observation_id, justification: Identifies the row in the probe. }
    - { name: code, value: code, justification: A coded column the exemption does not cover. }
`,
    exemptions: `
- rule: sensitive-codes
  code_set: hiv_sti
  legal_basis:
    article_6: 6(1)(e) public task
    article_9: 9(2)(h) management of health care systems
    notice: Direction 2023/14 under section 254 of the Health and Social Care Act 2012 (test)
  justification: The commissioned sexual health service needs the diagnoses it treats (test).
  expires: 2027-06-30
`,
  });
  // The scope (datasets: [released_here]) set on the IR: the syntax for it is another part's work.
  const { definition: resolved } = compileText(text);
  const definition = { ...resolved, exemptions: resolved.exemptions.map((e) => ({ ...e, datasets: ['released_here'] })) };
  const plan = compileExtract(definition, { catalogue, policy, today: TODAY });
  const { ctx, expectations } = compilerContext(definition, { catalogue, policy, today: TODAY });
  const [here, there] = definition.datasets;
  const releasedHere = { ...expectations, released: ctx.releases.get('released_here') ?? new Map() };

  it('releases hiv_sti on observation.code of released_here only', () => {
    expect([...(ctx.releases.get('released_here') ?? new Map()).entries()]).toEqual([['code', ['hiv_sti']]]);
    expect(ctx.releases.has('not_released')).toBe(false);
    expect(plan.guards.released).toEqual([{ set: 'hiv_sti', datasets: ['released_here'], columns: { released_here: ['code'] } }]);
    // The exists() body and the other dataset read the full set; the population query has no release.
    const sqlHere = plan.datasets[0]!.full.sql;
    expect(sqlHere).toMatch(/"t"\."code" IN \(SELECT "code" FROM "sensitive_codes_1"\)/);
    expect(sqlHere).toMatch(/"e2"\."code" IN \(SELECT "code" FROM "sensitive_codes"\)/);
    expect(plan.datasets[1]!.full.sql).not.toMatch(/sensitive_codes_1"\)/);
  });

  it('accepts each dataset under its own expectations', () => {
    expect(() => verifyGuards(fullQuery(ctx, here!).toOperationNode(), releasedHere, 'x')).not.toThrow();
    expect(() => verifyGuards(fullQuery(ctx, there!).toOperationNode(), expectations, 'x')).not.toThrow();
  });

  it('refuses the released dataset\'s query where the set is not released (another dataset, the population)', () => {
    expectRefused(fullQuery(ctx, here!).toOperationNode(), expectations, /sensitive-codes guard on code \(assisted_fertilisation, gender_reassignment, hiv_sti, sexuality, termination_of_pregnancy\) is missing on observation \(as t\)/);
  });

  it('refuses a guard that reads a CTE not holding the sets it claims', () => {
    const root = fullQuery(ctx, here!).toOperationNode() as unknown as Record<string, any>;
    const expressions = root['with'].expressions.map((c: Record<string, any>) => {
      if (c['name'].table.table.identifier.name !== 'sensitive_codes_1') return c;
      const expression = { ...c['expression'] };
      markNode({ kind: 'sensitive-code-set', sets: ['sexuality'] }, expression);
      return { ...c, expression };
    });
    const tree = { ...root, with: { ...root['with'], expressions } };
    markNode({ kind: 'dataset-root' }, tree as unknown as OperationNode);
    expectRefused(tree as unknown as OperationNode, releasedHere, /reads sensitive_codes_1, which does not hold exactly the sets/);
  });
});

describe('the compiler emits the very tree it verified', () => {
  it('compileVerified refuses a tree missing a guard and compiles a sound one to the plan\'s text', () => {
    const { ctx, expectations, dataset, definition } = setup('phm-warehouse.exdef.yaml', 'blood_pressure');
    const node = fullQuery(ctx, dataset).toOperationNode();
    const { tree } = withoutGuard(node, (k) => k === 'sensitive-codes');
    expect(() => compileVerified(tree as RootOperationNode, expectations, 'the test query')).toThrow(GuardVerificationError);
    const plan = compileExtract(definition, { catalogue, policy, today: TODAY });
    const fresh = setup('phm-warehouse.exdef.yaml', 'blood_pressure');
    expect(compileVerified(fullQuery(fresh.ctx, fresh.dataset).toOperationNode(), fresh.expectations, 'x').sql).toBe(plan.datasets.find((d) => d.name === 'blood_pressure')!.full.sql);
  });

  it('production code has no fault-injection switch', () => {
    for (const file of ['src/sql/guards.ts', 'src/sql/compile-extract.ts', 'src/sql/verify-guards.ts']) {
      expect(readFileSync(file, 'utf8')).not.toMatch(/EXDEF_FAULT|process\.env/);
    }
  });
});
