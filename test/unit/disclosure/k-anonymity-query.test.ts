import { describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { kAnonymityQuery, linkedKAnonymityQuery } from '../../../src/disclosure/k-anonymity-query.js';
import { loadPolicy } from '../../../src/policy/policy.js';
import { ruleCatalogue } from '../../../src/pipeline/lint-definition.js';
import { compilerContext } from '../../../src/sql/compile-extract.js';
import { sql } from 'kysely';
import { compilerKysely } from '../../../src/sql/compiler-db.js';
import { markNode } from '../../../src/sql/guards.js';
import { withPopulation } from '../../../src/sql/population.js';
import { GuardVerificationError, verifyGuards } from '../../../src/sql/verify-guards.js';
import { TODAY } from '../../support/compile.js';
import { resolved } from './definitions.js';

const catalogue = referenceCatalogue();
const policy = loadPolicy(ruleCatalogue).policy!;

describe('the k-anonymity queries', () => {
  const { definition, plan } = resolved({
    people: ['patient', [['k', "pseudonym(nhs_number, 'k')"], ['m', 'month(date_of_birth)'], ['area', "pseudonym(postcode, 'area-key')"]]],
    readings: ['observation', [['k', "pseudonym(patient.nhs_number, 'k')"], ['s', 'patient.sex'], ['c', 'code']]],
  });

  it('the plan carries the linked group with its query, needing no pseudonym key', () => {
    expect(plan.linkedDisclosure).toHaveLength(1);
    const linked = plan.linkedDisclosure[0]!;
    expect(linked.datasets).toEqual(['people', 'readings']);
    expect(linked.quasiIdentifiers).toEqual(['people.m', 'people.area', 'readings.s']);
    expect(linked.links).toEqual(["a pseudonym of patient.nhs_number keyed 'k' in people, readings"]);
    expect(linked.kAnonymity.sql).toMatch(/string_agg\(DISTINCT/);
    expect(linked.kAnonymity.parameters.some((p) => p.startsWith('key_'))).toBe(false);
    expect(plan.datasets[0]!.disclosure.kAnonymity!.parameters.some((p) => p.startsWith('key_'))).toBe(false);
    expect(plan.datasets[0]!.disclosure.quasiIdentifiers).toEqual(['m', 'area']);
  });

  it('passes the guard check, which refuses a k query that reads anything but dataset selects', () => {
    const { ctx, expectations } = compilerContext(definition, { catalogue, policy, today: TODAY });
    const linked = linkedKAnonymityQuery(ctx, definition.datasets);
    expect(() => verifyGuards(linked.toOperationNode(), expectations, 'linked')).not.toThrow();
    const single = kAnonymityQuery(ctx, definition.datasets[0]!)!;
    expect(() => verifyGuards(single.toOperationNode(), expectations, 'single')).not.toThrow();

    // A k-anonymity query over a select of no dataset (here, of nothing at all) is refused.
    const forged = withPopulation(ctx)
      .selectFrom(compilerKysely().selectNoFrom(sql`1`.as('n')).as('g'))
      .select(sql`min(${sql.ref('g.n')})`.as('k')) as any;
    markNode({ kind: 'k-anonymity' }, forged.toOperationNode());
    expect(() => verifyGuards(forged.toOperationNode(), expectations, 'forged')).toThrow(/does not read dataset selects only/);
    // And one whose dataset select is joined to another table.
    const joined = withPopulation(ctx)
      .selectFrom(single.as('g'))
      .innerJoin('reporting.practice as x', (jb) => jb.onTrue())
      .select(sql`1`.as('k')) as any;
    markNode({ kind: 'k-anonymity' }, joined.toOperationNode());
    expect(() => verifyGuards(joined.toOperationNode(), expectations, 'joined')).toThrow(GuardVerificationError);
  });

  it('pairs row by row the datasets that give the same rows (same table, same filter) and passes the guard check', () => {
    const rows = resolved({
      conditions: ['observation', [['c', 'code'], ['m', 'month(patient.date_of_birth)']]],
      readings: ['observation', [['s', 'patient.sex']]],
      people: ['patient', [['k', "pseudonym(nhs_number, 'k')"], ['y', 'year(date_of_birth)']]],
      areas: ['observation', [['k', "pseudonym(patient.nhs_number, 'k')"], ['d', 'postcode_district(patient.postcode)']]],
    });
    // conditions, readings and areas line up by row order; areas and people share the key.
    expect(rows.plan.linkedDisclosure).toHaveLength(1);
    const linked = rows.plan.linkedDisclosure[0]!;
    expect(linked.datasets).toEqual(['conditions', 'readings', 'people', 'areas']);
    expect(linked.links).toEqual(['rows in the same order: the same observation rows (no filter) in conditions, readings, areas', "a pseudonym of patient.nhs_number keyed 'k' in people, areas"]);
    // The three observation datasets are paired on the observation's key, then joined with people on the patient.
    expect(linked.kAnonymity.sql).toMatch(/string_agg\("y"\."tuple", ';' ORDER BY "y"\."tuple"\)/);
    expect(linked.kAnonymity.sql).toMatch(/group by "y"\."patient", "y"\."r1"/);
    const { ctx, expectations } = compilerContext(rows.definition, { catalogue, policy, today: TODAY });
    expect(() => verifyGuards(linkedKAnonymityQuery(ctx, rows.definition.datasets).toOperationNode(), expectations, 'paired')).not.toThrow();
  });
});
