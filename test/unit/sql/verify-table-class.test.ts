import { readFileSync } from 'node:fs';
import { sql, type OperationNode } from 'kysely';
import { describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { ruleCatalogue } from '../../../src/pipeline/lint-definition.js';
import { loadPolicy } from '../../../src/policy/policy.js';
import { compilerContext } from '../../../src/sql/compile-extract.js';
import { fullQuery } from '../../../src/sql/dataset-query.js';
import { guardOf, markNode } from '../../../src/sql/guards.js';
import { GuardVerificationError, verifyGuards } from '../../../src/sql/verify-guards.js';
import { compileText, TODAY } from '../../support/compile.js';

/**
 * The compiler's own check that no query reads a control or document table (catalogue `class`),
 * except the population's opt-out test: each case edits a tree the compiler built, as a bug in the
 * compiler would, and the check must refuse it.
 */

const catalogue = referenceCatalogue();
const policy = loadPolicy(ruleCatalogue).policy!;

function setup(file: string, datasetName: string) {
  const { definition } = compileText(readFileSync(`definitions/${file}`, 'utf8'), `definitions/${file}`);
  const { ctx, expectations } = compilerContext(definition, { catalogue, policy, today: TODAY });
  return { ctx, expectations, dataset: definition.datasets.find((d) => d.name === datasetName)! };
}

/** A copy of the tree with `edit` applied bottom-up; marks (dataset-root, guards) stay on the copies. */
function rewrite(root: OperationNode, edit: (node: Record<string, unknown>) => Record<string, unknown> | undefined): OperationNode {
  const visit = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(visit);
    if (!value || typeof value !== 'object') return value;
    const copy: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) copy[key] = visit(child);
    const edited = edit(copy) ?? copy;
    const info = guardOf(value as OperationNode);
    if (info) markNode(info, edited as unknown as OperationNode);
    return edited;
  };
  return visit(root) as OperationNode;
}

/** Every TableNode naming `from` names `to` instead. */
function renameTable(root: OperationNode, from: string, to: string): OperationNode {
  return rewrite(root, (node) => {
    const table = node['table'] as { identifier?: { name?: string } } | undefined;
    if (node['kind'] !== 'TableNode' || table?.identifier?.name !== from) return undefined;
    return { ...node, table: { ...table, identifier: { ...table.identifier, name: to } } };
  });
}

/** The dataset select's WHERE with one more condition AND-ed on. */
function withCondition(root: OperationNode, condition: OperationNode): OperationNode {
  let added = 0;
  const tree = rewrite(root, (node) => {
    if (node['kind'] !== 'WhereNode' || added > 0) return undefined;
    added++;
    return { ...node, where: { kind: 'AndNode', left: node['where'], right: condition } };
  });
  expect(added).toBe(1);
  return tree;
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

describe('guard verification: control and document tables are out whole', () => {
  it('accepts the population\'s own opt-out test (a full and a delta definition)', () => {
    const { ctx, expectations, dataset } = setup('phm-warehouse.exdef.yaml', 'blood_pressure');
    const full = fullQuery(ctx, dataset).toOperationNode();
    expect(JSON.stringify(full)).toContain('"opt_out"');
    expect(refusal(full, expectations)).toBe('accepted');
    const chis = setup('chis-immunisations.exdef.yaml', 'immunisations');
    expect(refusal(fullQuery(chis.ctx, chis.dataset).toOperationNode(), chis.expectations)).toBe('accepted');
  });

  it('refuses a dataset select that reads the document table', () => {
    const { ctx, expectations, dataset } = setup('phm-warehouse.exdef.yaml', 'blood_pressure');
    const tree = renameTable(fullQuery(ctx, dataset).toOperationNode(), 'observation', 'document');
    expect(refusal(tree, expectations)).toMatch(/table reporting\.document is a document table, which no query may read/);
  });

  it('refuses a delta definition\'s dataset select that reads the opt-out table', () => {
    const { ctx, expectations, dataset } = setup('chis-immunisations.exdef.yaml', 'immunisations');
    const tree = renameTable(fullQuery(ctx, dataset).toOperationNode(), 'observation', 'opt_out');
    expect(refusal(tree, expectations)).toMatch(/table reporting\.opt_out is a control table/);
  });

  it('refuses an exists() over the opt-out table in a dataset filter', () => {
    const { ctx, expectations, dataset } = setup('phm-warehouse.exdef.yaml', 'blood_pressure');
    const probe = sql`EXISTS (SELECT 1 FROM ${sql.table('reporting.opt_out')} AS o WHERE o.patient_id = t.patient_id)`.toOperationNode();
    expect(refusal(withCondition(fullQuery(ctx, dataset).toOperationNode(), probe), expectations)).toMatch(/reporting\.opt_out is a control table/);
  });

  it('refuses a nested exists() over the document table', () => {
    const { ctx, expectations, dataset } = setup('phm-warehouse.exdef.yaml', 'blood_pressure');
    const probe = sql`EXISTS (SELECT 1 FROM ${sql.table('reporting.registration')} AS r WHERE EXISTS (SELECT 1 FROM ${sql.table('reporting.document')} AS d WHERE d.patient_id = r.patient_id))`.toOperationNode();
    expect(refusal(withCondition(fullQuery(ctx, dataset).toOperationNode(), probe), expectations)).toMatch(/reporting\.document is a document table/);
  });

  it('refuses the opt-out test once it is no longer the marked population flag', () => {
    const { ctx, expectations, dataset } = setup('phm-warehouse.exdef.yaml', 'blood_pressure');
    // The same tree with every mark kept except the opt-out flag's.
    const sameMarks = rewrite(fullQuery(ctx, dataset).toOperationNode(), () => undefined);
    const stripFlag = (value: unknown, original: unknown): void => {
      if (!value || typeof value !== 'object') return;
      if (guardOf(original as OperationNode)?.kind === 'opt-out-flag') markNode({ kind: 'population-join', alias: 'none' }, value as OperationNode);
      for (const key of Object.keys(value)) stripFlag((value as Record<string, unknown>)[key], (original as Record<string, unknown>)[key]);
    };
    const original = fullQuery(ctx, dataset).toOperationNode();
    const copy = rewrite(original, () => undefined);
    stripFlag(copy, original);
    expect(refusal(sameMarks, expectations)).toBe('accepted');
    expect(refusal(copy, expectations)).toMatch(/reporting\.opt_out is a control table/);
  });

  it('follows the class a provider\'s catalogue gives a table', () => {
    const { ctx, expectations, dataset } = setup('phm-warehouse.exdef.yaml', 'blood_pressure');
    const tree = fullQuery(ctx, dataset).toOperationNode();
    const provider = { ...expectations, catalogue: { ...catalogue, tables: catalogue.tables.map((t) => (t.name === 'observation' ? { ...t, classification: 'control' as const } : t)) } };
    expect(refusal(tree, provider)).toMatch(/reporting\.observation is a control table/);
  });
});
