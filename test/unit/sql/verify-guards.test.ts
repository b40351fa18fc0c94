import { sql, type OperationNode } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { compilerContext, compileExtract } from '../../../src/sql/compile-extract.js';
import { compilerKysely } from '../../../src/sql/compiler-db.js';
import { deltaQuery, fullQuery } from '../../../src/sql/dataset-query.js';
import { guardOf, markNode, type GuardKind } from '../../../src/sql/guards.js';
import { populationStateQuery } from '../../../src/sql/population.js';
import { verifyGuards, GuardVerificationError } from '../../../src/sql/verify-guards.js';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { loadPolicy } from '../../../src/policy/policy.js';
import { ruleCatalogue } from '../../../src/pipeline/lint-definition.js';
import { compileText, TODAY } from '../../support/compile.js';

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
function withoutGuard(root: OperationNode, which: (kind: GuardKind, alias: string | undefined, column: string | undefined) => boolean): { tree: OperationNode; removed: number } {
  let removed = 0;
  const isTarget = (node: unknown): boolean => {
    if (removed > 0 || !node || typeof node !== 'object') return false;
    const info = guardOf(node as OperationNode);
    return info !== undefined && which(info.kind, info.alias, info.column);
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

  it('refuses a delta query whose upsert branch lost a guard', () => {
    const { ctx, expectations, dataset } = setup('chis-immunisations.exdef.yaml', 'immunisations');
    const { tree, removed } = withoutGuard(deltaQuery(ctx, dataset).toOperationNode(), (k, a) => k === 'confidential' && a === 't');
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
    expectRefused(fullQuery(ctx, dataset).toOperationNode(), expecting, /does not flag the opted out/);
  });
});

describe('guard verification refuses queries the compiler would never build', () => {
  const { ctx, expectations } = setup('phm-warehouse.exdef.yaml', 'people');
  const db = compilerKysely();

  it('a select that is not a dataset, a delta or the population', () => {
    expectRefused(db.selectFrom('reporting.observation as t').select('t.code').toOperationNode(), expectations, /not one the compiler makes/);
  });

  it('a key-only select that outputs more than keys', () => {
    const leaky = db.selectFrom('reporting.observation as d0').select(sql`${sql.ref('d0.code')}`.as('k1'));
    markNode({ kind: 'keys-only', alias: 'd0' }, leaky.toOperationNode());
    const root = fullQuery(ctx, setup('phm-warehouse.exdef.yaml', 'blood_pressure').dataset).toOperationNode() as unknown as Record<string, any>;
    const leakCte = (db.with('leak', () => leaky).selectFrom('leak').selectAll().toOperationNode() as unknown as Record<string, any>)['with'].expressions[0];
    const withLeak = { ...root, with: { ...root['with'], expressions: [...root['with'].expressions, leakCte] } };
    markNode({ kind: 'dataset-root' }, withLeak as unknown as OperationNode);
    expectRefused(withLeak as unknown as OperationNode, expectations, /key-only select over observation outputs more than its key/);
  });

  it('a guarded table read inside raw SQL, where its guards cannot be checked', () => {
    const root = fullQuery(ctx, setup('phm-warehouse.exdef.yaml', 'people').dataset);
    const sneaky = root.where(sql<boolean>`EXISTS (SELECT 1 FROM ${sql.table('reporting.observation')} WHERE code = 1)`);
    markNode({ kind: 'dataset-root' }, sneaky.toOperationNode());
    expectRefused(sneaky.toOperationNode(), expectations, /read outside a FROM or JOIN/);
  });
});

describe('the compiler refuses its own output when a guard is left out (fault injection)', () => {
  afterEach(() => {
    delete process.env['EXDEF_FAULT_OMIT_GUARD'];
  });
  for (const kind of ['tombstone', 'confidential', 'sensitive-codes'] as const) {
    it(`leaving out every ${kind} guard ends in a guard-check failure, not in SQL`, () => {
      process.env['EXDEF_FAULT_OMIT_GUARD'] = kind;
      const text = readFileSync('definitions/phm-warehouse.exdef.yaml', 'utf8');
      expect(() => compileText(text)).toThrow(GuardVerificationError);
    });
  }
  it('compiles again once the fault is gone', () => {
    const text = readFileSync('definitions/phm-warehouse.exdef.yaml', 'utf8');
    const { definition } = compileText(text);
    expect(compileExtract(definition, { catalogue, policy, today: TODAY }).datasets).toHaveLength(3);
  });
});
