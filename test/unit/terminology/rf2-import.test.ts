import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Diagnostic } from '../../../src/diagnostics/diagnostic.js';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { ensureSchema } from '../../../src/db/reporting-schema.js';
import { closureOf, findCycle, importTerminology, readTerminology } from '../../../src/terminology/import-terminology.js';
import { conceptIdProblem, verhoeffDigit } from '../../../src/terminology/sctid.js';
import { scratchDatabase, testEngines, type ScratchDatabase } from '../../support/engines.js';

/** Well-formed SCTIDs for the fixture: item number + core concept partition + check digit. */
function sctid(item: number): string {
  const body = `${item}00`;
  return `${body}${verhoeffDigit(body)}`;
}
const [ROOT, A, B, C, D, E, X, RETIRED] = [1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008].map(sctid) as [string, string, string, string, string, string, string, string];
const REFSET = sctid(2001);

const CONCEPT_HEADER = 'id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId';
const RELATIONSHIP_HEADER = 'id\teffectiveTime\tactive\tmoduleId\tsourceId\tdestinationId\trelationshipGroup\ttypeId\tcharacteristicTypeId\tmodifierId';
const REFSET_HEADER = 'id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId';
const MODULE = '900000000000207008';

let relationshipCounter = 5000;
function isA(child: string, parent: string, active = 1, type = '116680003'): string {
  const body = `${relationshipCounter++}02`;
  return `${body}${verhoeffDigit(body)}\t20260101\t${active}\t${MODULE}\t${child}\t${parent}\t0\t${type}\t900000000000011006\t900000000000451002`;
}

function writeRf2(dir: string, files: { concepts: string[]; relationships: string[]; refset?: string[] }): void {
  mkdirSync(join(dir, 'Snapshot', 'Terminology'), { recursive: true });
  const concept = (id: string, active = 1) => `${id}\t20260101\t${active}\t${MODULE}\t900000000000074008`;
  writeFileSync(join(dir, 'Snapshot', 'Terminology', 'sct2_Concept_Snapshot_INT_20260101.txt'), [CONCEPT_HEADER, ...files.concepts.map((c) => (c.includes('\t') ? c : concept(c)))].join('\r\n') + '\r\n');
  writeFileSync(join(dir, 'Snapshot', 'Terminology', 'sct2_Relationship_Snapshot_INT_20260101.txt'), [RELATIONSHIP_HEADER, ...files.relationships].join('\r\n') + '\r\n');
  if (files.refset) {
    mkdirSync(join(dir, 'Snapshot', 'Refset', 'Content'), { recursive: true });
    writeFileSync(join(dir, 'Snapshot', 'Refset', 'Content', 'der2_Refset_SimpleSnapshot_INT_20260101.txt'), [REFSET_HEADER, ...files.refset].join('\n') + '\n');
  }
}

/**
 *        ROOT
 *       /    \
 *      A      B
 *     / \    /
 *    C    D        D has two parents (A and B)
 *         |
 *         E        E is three levels below ROOT on both paths
 * X is a lone root; RETIRED is an inactive concept; an inactive is-a row and a non-is-a row are ignored.
 */
const HIERARCHY = {
  concepts: [ROOT, A, B, C, D, E, X, `${RETIRED}\t20260101\t0\t${MODULE}\t900000000000074008`, REFSET],
  relationships: [isA(A, ROOT), isA(B, ROOT), isA(C, A), isA(D, A), isA(D, B), isA(E, D), isA(X, ROOT, 0), isA(C, B, 1, '363698007')],
  refset: [
    `a1\t20260101\t1\t${MODULE}\t${REFSET}\t${D}`,
    `a2\t20260101\t0\t${MODULE}\t${REFSET}\t${C}`,
  ],
};

const EXPECTED_CLOSURE = [
  [ROOT, ROOT], [A, A], [B, B], [C, C], [D, D], [E, E], [X, X], [RETIRED, RETIRED], [REFSET, REFSET],
  [ROOT, A], [ROOT, B], [A, C], [ROOT, C], [A, D], [B, D], [ROOT, D], [D, E], [A, E], [B, E], [ROOT, E],
].map(([ancestor, descendant]) => `${ancestor}>${descendant}`).sort();

const errorsOf = (diagnostics: Diagnostic[]) => diagnostics.filter((d) => d.severity === 'error');

describe('closure and cycles (pure)', () => {
  it('builds the reflexive-transitive closure through multiple parents', () => {
    // 0 root, 1 a, 2 b, 3 d (a, b), 4 e (d)
    const parents = [[], [0], [0], [1, 2], [3]];
    const pairs = [...closureOf(parents)].flatMap(([node, ancestors]) => [...ancestors].map((a) => `${a}>${node}`)).sort();
    expect(pairs).toEqual(['0>0', '0>1', '0>2', '0>3', '0>4', '1>1', '1>3', '1>4', '2>2', '2>3', '2>4', '3>3', '3>4', '4>4']);
  });

  it('finds a cycle and returns it in order', () => {
    expect(findCycle([[], [0], [3], [4], [2]])).toEqual([2, 3, 4, 2]);
    expect(findCycle([[0]])).toEqual([0, 0]);
    expect(findCycle([[], [0], [0, 1]])).toBeUndefined();
  });
});

describe('SNOMED CT identifiers', () => {
  it('accepts real concept ids and rejects mistyped ones', () => {
    for (const id of ['138875005', '404684003', '73211009', '999004351000000109', '1955851000000101']) expect(conceptIdProblem(id), id).toBeUndefined();
    expect(conceptIdProblem('73211008')).toBe('check-digit');
    expect(conceptIdProblem('73121009')).toBe('check-digit'); // adjacent digits swapped
    expect(conceptIdProblem('123')).toBe('length');
    expect(conceptIdProblem('073211009')).toBe('leading-zero');
    expect(conceptIdProblem('7321a009')).toBe('not-digits');
    expect(conceptIdProblem('900000000000003001')).toBe(undefined);
    expect(conceptIdProblem('1000017')).toBe('not-a-concept');
  });
});

describe('reading RF2 files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'exdef-rf2-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rejects a cycle, naming the concepts in it', async () => {
    const cycleDir = join(dir, 'cycle');
    writeRf2(cycleDir, { concepts: [ROOT, A, B, C], relationships: [isA(A, ROOT), isA(B, A), isA(C, B), isA(A, C)] });
    const { terminology, diagnostics: all } = await readTerminology(cycleDir);
    const diagnostics = errorsOf(all);
    expect(terminology).toBeUndefined();
    expect(diagnostics.map((d) => d.code)).toEqual(['rf2-cycle']);
    // A is-a C is-a B is-a A, in child → parent order, starting anywhere on the cycle.
    expect(diagnostics[0]!.message).toMatch(new RegExp(`\\(child → parent\\): (${A} → ${C} → ${B} → ${A}|${C} → ${B} → ${A} → ${C}|${B} → ${A} → ${C} → ${B});`));
  });

  it('rejects a file with the wrong columns, at its line', async () => {
    const badDir = join(dir, 'bad-header');
    writeRf2(badDir, { concepts: [ROOT], relationships: [] });
    writeFileSync(join(badDir, 'Snapshot', 'Terminology', 'sct2_Concept_Snapshot_INT_20260101.txt'), `id\teffectiveTime\tactive\tmoduleId\n${ROOT}\t20260101\t1\t${MODULE}\n`);
    const diagnostics = errorsOf((await readTerminology(badDir)).diagnostics);
    expect(diagnostics.map((d) => [d.code, d.span?.start.line])).toEqual([['rf2-bad-header', 1]]);
    expect(diagnostics[0]!.message).toContain('header must be `id<TAB>effectiveTime<TAB>active<TAB>moduleId<TAB>definitionStatusId`');
  });

  it('rejects rows with a wrong column count or a malformed identifier, each at its line and column', async () => {
    const badDir = join(dir, 'bad-rows');
    writeRf2(badDir, { concepts: [ROOT, `${A}\t20260101\t1`, `12x45\t20260101\t1\t${MODULE}\t900000000000074008`], relationships: [] });
    const diagnostics = errorsOf((await readTerminology(badDir)).diagnostics);
    expect(diagnostics.map((d) => `${d.span?.start.line}:${d.span?.start.column} ${d.message}`)).toEqual([
      '3:1 sct2_Concept_Snapshot_INT_20260101.txt: expected 5 tab-separated columns, found 3',
      '4:1 sct2_Concept_Snapshot_INT_20260101.txt: `id` must be a SNOMED CT identifier, found "12x45"',
    ]);
  });

  it('rejects a relationship to a concept that is not in the concept file', async () => {
    const badDir = join(dir, 'unknown');
    writeRf2(badDir, { concepts: [ROOT, A], relationships: [isA(A, ROOT), isA(B, A)] });
    const diagnostics = errorsOf((await readTerminology(badDir)).diagnostics);
    expect(diagnostics.map((d) => d.code)).toEqual(['rf2-unknown-concept']);
    expect(diagnostics[0]!.span!.start.line).toBe(3);
  });

  it('reports a directory without snapshot files', async () => {
    const emptyDir = join(dir, 'empty');
    mkdirSync(emptyDir);
    const diagnostics = errorsOf((await readTerminology(emptyDir)).diagnostics);
    expect(diagnostics.map((d) => d.message)).toEqual([
      `no concept file (sct2_Concept_Snapshot*.txt) in ${emptyDir}`,
      `no relationship file (sct2_Relationship_Snapshot*.txt) in ${emptyDir}`,
    ]);
  });
});

describe.each(testEngines())('terminology import on %s', (engine) => {
  let scratch: ScratchDatabase;
  let dir: string;
  beforeAll(async () => {
    scratch = await scratchDatabase(engine);
    await ensureSchema(scratch.db, referenceCatalogue());
    dir = mkdtempSync(join(tmpdir(), 'exdef-rf2-'));
    writeRf2(dir, HIERARCHY);
  });
  afterAll(async () => {
    await scratch?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the hand-made hierarchy and builds exactly the expected closure', async () => {
    const { summary, diagnostics } = await importTerminology(scratch.db, dir);
    expect(diagnostics.map((d) => [d.severity, d.code])).toEqual([['warning', 'rf2-no-descriptions']]);
    expect(summary).toEqual({ concepts: 9, activeConcepts: 8, isARelationships: 6, closureRows: EXPECTED_CLOSURE.length, refsets: 1, refsetMembers: 2 });
    const rows = await scratch.db.query<{ pair: string }>("SELECT ancestor_id::text || '>' || descendant_id::text AS pair FROM terminology.closure");
    expect(rows.map((r) => r.pair).sort()).toEqual(EXPECTED_CLOSURE);
    const members = await scratch.db.query<{ member: string; active: boolean }>('SELECT referenced_component_id::text AS member, active FROM terminology.refset_member ORDER BY 1');
    expect(members).toEqual([
      { member: C, active: false },
      { member: D, active: true },
    ].sort((a, b) => (a.member < b.member ? -1 : 1)));
  });

  it('replaces the previous contents on a second import', async () => {
    const { summary } = await importTerminology(scratch.db);
    expect(summary!.concepts).toBe(105);
    const rows = await scratch.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM terminology.concept WHERE id = ${A}`);
    expect(rows[0]!.n).toBe('0');
  });

  it('loads the sample: the policy refsets, and sexuality codes three levels down', async () => {
    const refsets = await scratch.db.query<{ refset: string; n: string }>(
      'SELECT refset_id::text AS refset, count(*)::text AS n FROM terminology.refset_member WHERE active GROUP BY 1 ORDER BY 1',
    );
    const byRefset = Object.fromEntries(refsets.map((r) => [r.refset, Number(r.n)]));
    for (const refset of ['999004351000000109', '1955851000000101', '999004381000000103', '999004361000000107', '999004371000000100']) {
      expect(byRefset[refset], refset).toBeGreaterThanOrEqual(2);
    }
    const deep = await scratch.db.query<{ depth: string }>(
      `WITH RECURSIVE path(id, depth) AS (
         SELECT 118199002::bigint, 0
         UNION ALL
         SELECT c.descendant_id, p.depth + 1 FROM path p JOIN terminology.closure c ON c.ancestor_id = p.id AND c.descendant_id <> p.id
           JOIN terminology.closure direct ON direct.descendant_id = c.descendant_id AND direct.ancestor_id = p.id
       ) SELECT max(depth)::text AS depth FROM path WHERE depth < 10`,
    );
    expect(Number(deep[0]!.depth)).toBeGreaterThanOrEqual(3);
    const [hiv] = await scratch.db.query<{ member: boolean; parentMember: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM terminology.refset_member WHERE refset_id = 999004381000000103 AND referenced_component_id = 86406008 AND active) AS member,
              EXISTS (SELECT 1 FROM terminology.refset_member WHERE refset_id = 999004381000000103 AND referenced_component_id = 40733004 AND active) AS "parentMember"`,
    );
    expect(hiv).toEqual({ member: true, parentMember: false });
  });
});
