import { copyLine } from '../db/copy-text.js';
import type { Database } from '../db/database.js';
import { hasErrors, type Diagnostic } from '../diagnostics/diagnostic.js';
import { referenceCatalogue } from '../catalogue/load-catalogue.js';
import { ExdefError } from '../failure.js';
import { resources } from '../resources.js';
import { missingSources, sourceName, sourceSizes, type SensitiveSetSources, type SourceSizes } from '../sql/terminology-coverage.js';
import { FSN_TYPE, IS_A, findRf2Files, lineSpan, readRf2, rf2Codes } from './rf2.js';

/** SNOMED CT as exdef needs it: concepts, the is-a hierarchy and simple refset membership. */
export interface Terminology {
  ids: string[];
  /** Fully specified names; null where the snapshot has none (loaded as ''). */
  fsn: (string | null)[];
  active: boolean[];
  /** parents[i]: indexes of the concepts i is-a (active relationships only). */
  parents: number[][];
  /** refset id → member concept id → active */
  refsets: Map<string, Map<string, boolean>>;
  isARelationships: number;
}

export interface TerminologySummary {
  concepts: number;
  activeConcepts: number;
  isARelationships: number;
  closureRows: number;
  refsets: number;
  refsetMembers: number;
}

/** Reads and checks an RF2 snapshot directory. */
export async function readTerminology(dir: string): Promise<{ terminology?: Terminology; diagnostics: Diagnostic[] }> {
  const { files, diagnostics } = findRf2Files(dir);
  if (hasErrors(diagnostics) || !files.concept || !files.relationship) return { diagnostics };

  const index = new Map<string, number>();
  const ids: string[] = [];
  const active: boolean[] = [];
  await readRf2(
    files.concept,
    'concept',
    (f, line) => {
      const id = f[0]!;
      if (index.has(id)) {
        diagnostics.push(rf2Codes.make('rf2-bad-row', { reason: `concept ${id} appears twice in the snapshot` }, lineSpan(files.concept!, line)));
        return;
      }
      index.set(id, ids.length);
      ids.push(id);
      active.push(f[2] === '1');
    },
    diagnostics,
    [0, 3, 4],
  );

  const fsn: (string | null)[] = new Array<string | null>(ids.length).fill(null);
  if (files.description) {
    await readRf2(
      files.description,
      'description',
      (f) => {
        if (f[2] !== '1' || f[6] !== FSN_TYPE) return;
        const i = index.get(f[4]!);
        if (i !== undefined) fsn[i] = f[7] ?? null;
      },
      diagnostics,
      [0, 3, 4, 6],
    );
  }

  const parents: number[][] = ids.map(() => []);
  let isARelationships = 0;
  await readRf2(
    files.relationship,
    'relationship',
    (f, line) => {
      if (f[2] !== '1' || f[7] !== IS_A) return;
      const child = index.get(f[4]!);
      const parent = index.get(f[5]!);
      if (child === undefined || parent === undefined) {
        const missing = child === undefined ? f[4]! : f[5]!;
        diagnostics.push(
          rf2Codes.make('rf2-unknown-concept', { id: missing, role: child === undefined ? 'the source of relationship ' + f[0] : 'the destination of relationship ' + f[0] }, lineSpan(files.relationship!, line)),
        );
        return;
      }
      if (!parents[child]!.includes(parent)) {
        parents[child]!.push(parent);
        isARelationships++;
      }
    },
    diagnostics,
    [0, 3, 4, 5, 7, 8, 9],
  );

  const refsets = new Map<string, Map<string, boolean>>();
  for (const refsetFile of files.refset) {
    await readRf2(
      refsetFile,
      'refset',
      (f) => {
        const refsetId = f[4]!;
        const member = f[5]!;
        let members = refsets.get(refsetId);
        if (!members) refsets.set(refsetId, (members = new Map()));
        members.set(member, (members.get(member) ?? false) || f[2] === '1');
      },
      diagnostics,
      [3, 4, 5],
    );
  }

  if (hasErrors(diagnostics)) return { diagnostics };
  const cycle = findCycle(parents);
  if (cycle) {
    const names = cycle.map((i) => `${ids[i]}${fsn[i] ? ` |${fsn[i]}|` : ''}`);
    diagnostics.push(rf2Codes.make('rf2-cycle', { cycle: names.join(' → ') }, lineSpan(files.relationship, 1)));
    return { diagnostics };
  }
  return { terminology: { ids, fsn, active, parents, refsets, isARelationships }, diagnostics };
}

/** A cycle in the child → parent graph, as concept indexes (first repeated at the end), if any. */
export function findCycle(parents: readonly (readonly number[])[]): number[] | undefined {
  const WHITE = 0;
  const GREY = 1;
  const BLACK = 2;
  const colour = new Uint8Array(parents.length);
  const via = new Int32Array(parents.length).fill(-1);
  for (let start = 0; start < parents.length; start++) {
    if (colour[start] !== WHITE) continue;
    // Iterative DFS: the stack holds [node, next parent position].
    const stack: [number, number][] = [[start, 0]];
    colour[start] = GREY;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [node, position] = top;
      const next = parents[node]![position];
      if (next === undefined) {
        colour[node] = BLACK;
        stack.pop();
        continue;
      }
      top[1]++;
      if (colour[next] === GREY) {
        const cycle = [next];
        for (let at = node; at !== next && at !== -1; at = via[at]!) cycle.push(at);
        cycle.push(next);
        return cycle.reverse();
      }
      if (colour[next] === WHITE) {
        colour[next] = GREY;
        via[next] = node;
        stack.push([next, 0]);
      }
    }
  }
  return undefined;
}

/**
 * The reflexive-transitive closure, concept by concept: yields [concept, its ancestors (itself
 * included)]. Parents are visited before children, so each ancestor set is built once from the
 * parents' sets. Requires an acyclic hierarchy.
 */
export function* closureOf(parents: readonly (readonly number[])[]): Generator<[number, Int32Array]> {
  const n = parents.length;
  const childCount = new Int32Array(n);
  const children: number[][] = parents.map(() => []);
  for (let child = 0; child < n; child++) {
    for (const parent of parents[child]!) {
      children[parent]!.push(child);
      childCount[child]!++;
    }
  }
  const ancestors: (Int32Array | undefined)[] = new Array(n);
  const remainingChildren = new Int32Array(n);
  for (let i = 0; i < n; i++) remainingChildren[i] = children[i]!.length;
  const mark = new Int32Array(n).fill(-1);
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (childCount[i] === 0) queue.push(i);
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head]!;
    const set: number[] = [node];
    mark[node] = node;
    for (const parent of parents[node]!) {
      for (const a of ancestors[parent]!) {
        if (mark[a] !== node) {
          mark[a] = node;
          set.push(a);
        }
      }
    }
    const result = Int32Array.from(set);
    ancestors[node] = result;
    yield [node, result];
    for (const child of children[node]!) {
      if (--childCount[child]! === 0) queue.push(child);
    }
    // Free a parent's set once every child has used it: memory stays proportional to the frontier.
    for (const parent of parents[node]!) {
      if (--remainingChildren[parent]! === 0) ancestors[parent] = undefined;
    }
    if (remainingChildren[node] === 0) ancestors[node] = undefined;
  }
}

const CHUNK = 64 * 1024;

function* chunked(lines: Iterable<string>): Generator<string> {
  let buffer = '';
  for (const line of lines) {
    buffer += line;
    if (buffer.length >= CHUNK) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer) yield buffer;
}


/**
 * A release that takes away more than this share of what a sensitive set holds in the terminology
 * it replaces (active members of a policy reference set, descendants of a policy concept) is taken
 * for a partial one and refused: loaded, it would let the rows of the missing codes through. A
 * real release inactivates a few members; a partial one (a subset, one member a set) loses most.
 */
export const MAX_SENSITIVE_SHRINK = 0.1;

/** Replaces the terminology tables' contents with `terminology`, in one transaction. */
export async function loadTerminology(db: Database, terminology: Terminology, required?: SensitiveSetSources): Promise<TerminologySummary> {
  const { ids, fsn, active, parents, refsets } = terminology;
  let closureRows = 0;
  let refsetMembers = 0;
  await db.withSession(async (session) => {
    await session.exec('BEGIN');
    try {
      // The loader writes the reference catalogue's terminology tables: their sizes are read there.
      const sizes = () => sourceSizes((text, values) => session.query(text, values), referenceCatalogue(), required!);
      const before = required ? await sizes() : undefined;
      await session.exec('TRUNCATE terminology.concept, terminology.closure, terminology.refset_member');
      await session.copyIn(
        { schema: 'terminology', table: 'concept', columns: ['id', 'fsn', 'active'] },
        chunked((function* () {
          for (let i = 0; i < ids.length; i++) yield copyLine([ids[i], fsn[i] ?? '', active[i]]);
        })()),
      );
      closureRows = await session.copyIn(
        { schema: 'terminology', table: 'closure', columns: ['ancestor_id', 'descendant_id'] },
        chunked((function* () {
          for (const [node, ancestorSet] of closureOf(parents)) {
            const descendant = ids[node]!;
            for (const a of ancestorSet) yield `${ids[a]}\t${descendant}\n`;
          }
        })()),
      );
      refsetMembers = await session.copyIn(
        { schema: 'terminology', table: 'refset_member', columns: ['refset_id', 'referenced_component_id', 'active'] },
        chunked((function* () {
          for (const [refsetId, members] of refsets) {
            for (const [member, isActive] of members) yield `${refsetId}\t${member}\t${isActive ? 't' : 'f'}\n`;
          }
        })()),
      );
      if (required && before) {
        const after = await sizes();
        const shrunk = [...before].filter(([key, n]) => n > 0 && (after.get(key) ?? 0) < n * (1 - MAX_SENSITIVE_SHRINK));
        if (shrunk.length > 0) {
          throw new ExdefError(
            `nothing was loaded: the release would take away most of what the sensitive sets hold: ${shrunk.map(([key, n]) => `${sourceName(required, key)} from ${n} to ${after.get(key) ?? 0}`).join('; ')}`,
            { exitCode: 1, step: 'terminology import', hints: [`a release that removes more than ${MAX_SENSITIVE_SHRINK * 100}% of a sensitive set is taken for a partial one: import the whole UK Clinical Edition snapshot`] },
          );
        }
      }
      await session.exec('COMMIT');
    } catch (error) {
      await session.exec('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
  await db.exec('ANALYZE terminology.concept; ANALYZE terminology.closure; ANALYZE terminology.refset_member');
  return {
    concepts: ids.length,
    activeConcepts: active.filter(Boolean).length,
    isARelationships: terminology.isARelationships,
    closureRows,
    refsets: refsets.size,
    refsetMembers,
  };
}

/** Reads an RF2 directory and loads it (the shipped sample when no directory is given). */
export async function importTerminology(
  db: Database,
  dir: string = resources.sampleTerminology,
  required?: SensitiveSetSources,
): Promise<{ summary?: TerminologySummary; diagnostics: Diagnostic[] }> {
  const { terminology, diagnostics } = await readTerminology(dir);
  if (!terminology) return { diagnostics };
  if (required) {
    const missing = missingFromRelease(terminology, required);
    if (missing.length > 0) {
      throw new ExdefError(`nothing was loaded: the release in ${dir} cannot hold back sensitive codes: ${missing.join('; ')}`, {
        exitCode: 1,
        step: 'terminology import',
        hints: ["import the UK Clinical Edition with its simple reference sets (der2_Refset_Simple*): a run refuses a terminology that lacks what the policy's sensitive sets are built from"],
      });
    }
  }
  const summary = await loadTerminology(db, terminology, required);
  return { summary, diagnostics };
}

export async function terminologyLoaded(db: Database): Promise<boolean> {
  const rows = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM terminology.concept');
  return Number(rows[0]?.n ?? 0) > 0;
}

/**
 * What the policy's sensitive sets are built from and the release lacks: a reference set with no
 * active member, a concept not in it. Loaded, such a release would make those sets select nothing.
 */
export function missingFromRelease(terminology: Terminology, required: SensitiveSetSources): string[] {
  const ids = new Set(terminology.ids);
  const sizes: SourceSizes = new Map([
    ...[...required.refsets.keys()].map((id): [string, number] => [`refset ${id}`, [...(terminology.refsets.get(id)?.values() ?? [])].filter(Boolean).length]),
    ...[...required.concepts.keys()].map((id): [string, number] => [`concept ${id}`, ids.has(id) ? 1 : 0]),
  ]);
  return missingSources(required, sizes);
}

