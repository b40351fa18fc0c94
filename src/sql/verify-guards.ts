import type { OperationNode } from 'kysely';
import { codedColumns, termColumns, type Catalogue, type CatalogueTable } from '../catalogue/catalogue.js';
import { guardOf, POPULATION_ELIGIBLE, type GuardInfo, type GuardKind, type PatientSet } from './guards.js';

/** What the policy requires of one query of a definition. */
export interface GuardExpectations {
  catalogue: Catalogue;
  /** The sensitive sets every coded column must exclude (sorted), at any depth. */
  sensitiveSets: string[];
  /** The sets whose sensitive_terms every text column naming services must exclude (sorted), at any depth. */
  termSets: string[];
  /**
   * In a dataset's queries, the sets released on coded columns of the dataset's own table (column
   * -> set names): there, and only there (alias t of the dataset select), they need not be excluded.
   */
  released: ReadonlyMap<string, readonly string[]>;
  population: {
    permanentOnly: boolean;
    excludeDeceased: boolean;
    optOuts: { type1: boolean; nationalDataOptOut: boolean };
  };
}

/** A compiled query without a guard it must have: a bug in the compiler, never the user's doing. */
export class GuardVerificationError extends Error {
  constructor(what: string, problem: string) {
    super(`the compiled SQL for ${what} failed its guard check: ${problem}; it is not used`);
    this.name = 'GuardVerificationError';
  }
}

/** Guards (whose insides the check does not enter) as opposed to structural marks. */
const GUARD_KINDS: ReadonlySet<GuardKind> = new Set([
  'tombstone',
  'confidential',
  'confidential-parent',
  'sensitive-codes',
  'sensitive-terms',
  'population-join',
  'patient-scope',
  'practice-scope',
  'patient-tombstone',
  'pds-sensitive',
  'deceased',
  'registration-tombstone',
  'registration-current',
  'registration-practice',
  'registration-permanent',
  'opt-out-flag',
  'not-opted-out',
  'sensitive-code-set',
]);

type Node = OperationNode & Record<string, any>;

const VERIFIED = new WeakMap<GuardExpectations, WeakSet<object>>();

/**
 * Inspects a query tree the compiler built, before it becomes SQL text, and refuses it when a
 * guard the policy requires is missing (defence in depth against a bug in the compiler):
 *
 * - every reference to a catalogue table, in any select at any depth (exists() bodies, joins,
 *   CTEs), carries that table's scan guards as top-level conjuncts of its WHERE (the FROM table)
 *   or its ON (a joined table): the patient scope (rows of population members; inside the
 *   population's filter, of eligible patients or the one tested), the practice scope, tombstone,
 *   confidential, confidential-parent (a row inside a confidential consultation; the parent it reads
 *   inside the guard is read for its flag only), and the sensitive sets on each coded column (each read from a CTE that holds
 *   exactly those sets; a set is released only on the dataset's own table where expected);
 * - the population and eligible selects carry every population guard the definition calls for,
 *   and the population CTE and the eligible set exclude the opted out;
 * - the query's output comes from a dataset select joined to the population (or limited to the
 *   practices in scope), or from a deletion branch that outputs record ids only;
 * - no select but the root has a WITH (a CTE name means one thing in the whole query);
 * - selects that skip row guards output keys only (delta candidates), and no guarded table is
 *   named anywhere but in a FROM or JOIN;
 * - no select at any depth reads a table classified control or document, except the population's
 *   own opt-out test (marked opt-out-flag).
 */
export function verifyGuards(root: OperationNode, expectations: GuardExpectations, what: string): void {
  const fail = (problem: string): never => {
    throw new GuardVerificationError(what, problem);
  };
  const accounted = new WeakSet<object>();
  // Subtrees shared by the queries of one definition (the population CTEs) are checked once.
  let verified = VERIFIED.get(expectations);
  if (!verified) VERIFIED.set(expectations, (verified = new WeakSet()));
  const done = verified;
  checkRoot(root as Node, fail);
  const codeSets = checkCtes(root as Node, expectations, fail);
  checkNoProtectedTables(root as Node, expectations.catalogue, fail);
  const check: Check = { expectations, codeSets, fail };

  const visit = (value: unknown, set: PatientSet): void => {
    if (Array.isArray(value)) {
      for (const v of value) visit(v, set);
      return;
    }
    if (!value || typeof value !== 'object') return;
    const node = value as Node;
    const info = guardOf(node);
    if (info && GUARD_KINDS.has(info.kind)) return;
    if (node.kind === 'SelectQueryNode') {
      if (done.has(node)) return;
      if (node !== root && node['with']) fail('a nested select has a WITH of its own');
      // Inside the population's own selects, scans may read eligible patients (not yet the population).
      const inner: PatientSet = info?.kind === 'population-base' || info?.kind === 'population-eligible' ? 'eligible' : set;
      checkSelect(node, check, inner, accounted);
      for (const key of Object.keys(node)) {
        if (key !== 'kind') visit(node[key], inner);
      }
      done.add(node);
      return;
    }
    if (node.kind === 'TableNode' && !accounted.has(node)) {
      const table = catalogueTable(expectations.catalogue, node);
      if (table && requiredScanGuards(table, 'x', check, 'population', false).length > 0) fail(`table ${table.schema}.${table.name} is read outside a FROM or JOIN, where its guards cannot be checked`);
    }
    for (const key of Object.keys(node)) {
      if (key === 'kind') continue;
      visit(node[key], set);
    }
  };
  visit(root, 'population');
}

interface Check {
  expectations: GuardExpectations;
  /** The sensitive-code CTEs of the query, by name: the sets each holds. */
  codeSets: Map<string, string[]>;
  fail: (problem: string) => never;
}

/**
 * Control and document tables are out whole (catalogue `class`): the only reference to one that a
 * query may hold is inside the population's opt-out test, whose result is a flag, never a row.
 */
function checkNoProtectedTables(root: Node, catalogue: Catalogue, fail: (problem: string) => never): void {
  // A subtree found clean stays clean (the compiler's nodes are frozen): the subtrees the queries of
  // a definition share (the population CTEs, the sensitive-code sets) are walked once per catalogue.
  // A node is marked only once everything under it has passed; a failure throws before any mark.
  let clean = CLEAN.get(catalogue);
  if (!clean) CLEAN.set(catalogue, (clean = new WeakSet()));
  const passed = clean;
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) visit(value[i]);
      return;
    }
    const node = value as Node;
    const kind = node.kind;
    // Only selects and raw SQL (which holds subqueries) are shared between places and queries: the
    // check remembers those; any other node is small and is walked again wherever it occurs.
    const remembered = kind === 'SelectQueryNode' || kind === 'RawNode';
    if (remembered && passed.has(node)) return;
    if (guardOf(node)?.kind !== 'opt-out-flag') {
      if (kind === 'TableNode') {
        const table = catalogueTable(catalogue, node);
        if (table?.classification) fail(`table ${table.schema}.${table.name} is a ${table.classification} table, which no query may read`);
      }
      for (const key in node) {
        if (key !== 'kind' && Object.hasOwn(node, key)) visit(node[key]);
      }
    }
    if (remembered) passed.add(node);
  };
  visit(root);
}

/** Per catalogue, the subtrees checkNoProtectedTables found without a control or document table. */
const CLEAN = new WeakMap<Catalogue, WeakSet<object>>();

/** The output: a dataset select, a k-anonymity query over dataset selects, or the population. */
function checkRoot(root: Node, fail: (problem: string) => never): void {
  const mark = guardOf(root)?.kind;
  if (mark === 'dataset-root' || mark === 'population-state') return;
  if (mark === 'k-anonymity') {
    if (!readsDatasetSelects(root)) fail('the k-anonymity query does not read dataset selects only');
    return;
  }
  fail('the query is not one the compiler makes (a dataset, its k-anonymity or the population)');
}

/**
 * A k-anonymity query (src/disclosure) aggregates, through selects over derived tables and
 * UNION ALLs of them, rows of dataset selects and nothing else: no table, no join at any step.
 */
function readsDatasetSelects(select: Node): boolean {
  const froms = (select['from']?.froms ?? []) as Node[];
  const joins = (select['joins'] ?? []) as Node[];
  if (froms.length === 0) return false;
  // A join (two datasets joined on the values they share) joins dataset selects too, on a condition that reads nothing else.
  if (!joins.every((join) => derivedFromDatasets(join['table'] as Node) && !containsSelect(join['on']))) return false;
  return froms.every(derivedFromDatasets);
}

/** `(SELECT ...) AS x` over dataset selects only (each branch of a UNION too). */
function derivedFromDatasets(from: Node | undefined): boolean {
  const derived = from?.['kind'] === 'AliasNode' ? (from['node'] as Node) : undefined;
  if (!derived || derived['kind'] !== 'SelectQueryNode') return false;
  const branches = [derived, ...((derived['setOperations'] ?? []) as Node[]).map((s) => s['expression'] as Node)];
  return branches.every((b) => guardOf(b)?.kind === 'dataset-root' || (guardOf(b) === undefined && b['kind'] === 'SelectQueryNode' && readsDatasetSelects(b)));
}

/** Whether a subtree holds a select (a subquery): a join condition must not read another table. */
function containsSelect(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(containsSelect);
  const node = value as Node;
  if (node['kind'] === 'SelectQueryNode') return true;
  for (const key in node) if (key !== 'kind' && Object.hasOwn(node, key) && containsSelect(node[key])) return true;
  return false;
}

/**
 * population_eligible, population_base and population must be the compiler's; every
 * sensitive-code CTE is marked with the sets it holds (returned by name), sensitive_codes with all.
 */
function checkCtes(root: Node, expectations: GuardExpectations, fail: (problem: string) => never): Map<string, string[]> {
  const ctes = (root['with']?.expressions ?? []) as Node[];
  const byName = new Map(ctes.map((c) => [c['name']?.table?.table?.identifier?.name as string, c['expression'] as Node]));
  if (byName.size !== ctes.length) fail('two CTEs have the same name');
  const eligible = byName.get(POPULATION_ELIGIBLE);
  const base = byName.get('population_base');
  const population = byName.get('population');
  if (!eligible || !base || !population) fail('the population CTEs are missing');
  const codeSets = new Map<string, string[]>();
  for (const [name, expression] of byName) {
    const info = guardOf(expression);
    if (info?.kind === 'sensitive-code-set') codeSets.set(name, info.sets ?? []);
  }
  if (expectations.sensitiveSets.length > 0 && JSON.stringify(codeSets.get('sensitive_codes')) !== JSON.stringify(expectations.sensitiveSets)) {
    fail(`the sensitive_codes CTE does not hold exactly the sets ${expectations.sensitiveSets.join(', ')}`);
  }
  if (guardOf(eligible!)?.kind !== 'population-eligible') fail('population_eligible is not the eligible patients\' select');
  if (guardOf(base!)?.kind !== 'population-base') fail('population_base is not the population select');
  if (!conjuncts(population!['where']).some((c) => guardOf(c)?.kind === 'not-opted-out')) fail('the population CTE does not exclude opted-out patients');
  return codeSets;
}

type Reference = { table: CatalogueTable; alias: string; place: Node[]; isFrom: boolean; node: Node };

function checkSelect(select: Node, check: Check, set: PatientSet, accounted: WeakSet<object>): void {
  const { fail } = check;
  const mark = guardOf(select)?.kind;
  const where = conjuncts(select['where']);
  const references: Reference[] = [];
  for (const from of (select['from']?.froms ?? []) as Node[]) {
    const ref = tableReference(check.expectations.catalogue, from);
    if (ref) references.push({ ...ref, place: where, isFrom: true });
  }
  for (const join of (select['joins'] ?? []) as Node[]) {
    const ref = tableReference(check.expectations.catalogue, join['table'] as Node);
    if (!ref) continue;
    const on = conjuncts(join['on']);
    references.push({ ...ref, place: join['joinType'] === 'InnerJoin' ? [...on, ...where] : on, isFrom: false });
  }
  for (const ref of references) accounted.add(ref.node);

  let own: Reference[] = [];
  if (mark === 'population-base' || mark === 'population-eligible') own = checkPopulationSelect(select, mark, references, check);
  let root: Reference | undefined;
  if (mark === 'dataset-root') {
    root = references.find((r) => r.isFrom && r.alias === 't');
    if (!root) return fail('a dataset select does not read its table as t');
    if (root.table.patientColumn) {
      const joins = (select['joins'] ?? []) as Node[];
      const populationJoin = joins.some(
        (j) => j['joinType'] === 'InnerJoin' && conjuncts(j['on']).some((c) => matches(guardOf(c), { kind: 'population-join', alias: 't' })),
      );
      if (!populationJoin) fail(`dataset table ${root.table.name} is not joined to the population`);
    } else if (!root.table.practiceColumn) {
      fail(`dataset table ${root.table.name} has neither patients nor practices to limit it to`);
    }
  }
  for (const ref of references) {
    if (own.includes(ref)) continue; // the population's own patient and registration: its guards are checked above
    const isRoot = ref === root;
    const guards = ref.place.map((c) => guardOf(c));
    for (const required of requiredScanGuards(ref.table, ref.alias, check, set, isRoot)) {
      const found = guards.find((g) => matches(g, required));
      if (!found) fail(`${describe(required)} is missing on ${ref.table.name} (as ${ref.alias})`);
      if (found!.kind === 'sensitive-codes' && !sameNames(check.codeSets.get(found!.cte ?? ''), found!.sets)) {
        fail(`the sensitive-codes guard on ${ref.alias}.${found!.column} reads ${found!.cte}, which does not hold exactly the sets ${found!.sets?.join(', ')}`);
      }
    }
  }
}

/**
 * The population's own selects: the patient (FROM) and the registration that puts them in it
 * (JOIN) under every population guard; the eligible set also excludes the opted out, the base
 * flags them. Returns those two references (other tables, in the filter, are checked as scans).
 */
function checkPopulationSelect(select: Node, mark: 'population-base' | 'population-eligible', references: Reference[], check: Check): Reference[] {
  const { expectations, fail } = check;
  const model = expectations.catalogue.population;
  const patient = references.find((r) => r.isFrom && r.table.name === model.patient.table);
  const registration = references.find((r) => !r.isFrom && r.table.name === model.registration.table && r.place.some((c) => guardOf(c)?.kind === 'registration-current'));
  if (!patient || !registration) return fail('the population does not read the patient and their registration');
  const need = (ref: Reference, kind: GuardKind) => {
    if (!ref.place.some((c) => matches(guardOf(c), { kind, alias: ref.alias }))) fail(`the population has no ${kind} guard`);
  };
  if (patient.table.tombstone) need(patient, 'patient-tombstone');
  need(patient, 'pds-sensitive');
  if (expectations.population.excludeDeceased) need(patient, 'deceased');
  if (registration.table.tombstone) need(registration, 'registration-tombstone');
  need(registration, 'registration-current');
  need(registration, 'registration-practice');
  if (expectations.population.permanentOnly) need(registration, 'registration-permanent');
  const wanted = expectations.population.optOuts;
  const covers = (g: GuardInfo | undefined) => g?.optOuts?.type1 === wanted.type1 && g?.optOuts?.nationalDataOptOut === wanted.nationalDataOptOut;
  if (mark === 'population-base') {
    const flag = ((select['selections'] ?? []) as Node[]).map((s) => guardOf(s['selection']?.node as Node)).find((g) => g?.kind === 'opt-out-flag');
    if (!flag || !covers(flag)) fail('the population does not flag the opted out as the definition requires');
  } else {
    const excluded = conjuncts(select['where']).map((c) => guardOf(c)).find((g) => g?.kind === 'not-opted-out' && g.alias === patient.alias);
    if (!excluded || !covers(excluded)) fail('the eligible patients do not exclude the opted out as the definition requires');
  }
  return [patient, registration];
}

/**
 * The guards a scan of `table` as `alias` must carry: patient scope (`set`; the dataset's own
 * table has the population join instead), practice scope, tombstone, confidential, confidential-parent
 * (per relation of `confidential_via`), and per coded
 * column the sensitive sets (less those released there, on the dataset's own table only).
 */
function requiredScanGuards(table: CatalogueTable, alias: string, check: Check, set: PatientSet, isDatasetRoot: boolean): GuardInfo[] {
  const required: GuardInfo[] = [];
  if (table.patientColumn && !isDatasetRoot) required.push({ kind: 'patient-scope', alias, set });
  if (table.practiceColumn) required.push({ kind: 'practice-scope', alias });
  if (table.tombstone) required.push({ kind: 'tombstone', alias });
  if (table.confidentialColumn) required.push({ kind: 'confidential', alias });
  for (const relation of table.confidentialVia ?? []) required.push({ kind: 'confidential-parent', alias, relation });
  for (const coded of codedColumns(table)) {
    const free = isDatasetRoot ? (check.expectations.released.get(coded.name) ?? []) : [];
    const sets = check.expectations.sensitiveSets.filter((s) => !free.includes(s));
    if (sets.length > 0) required.push({ kind: 'sensitive-codes', alias, column: coded.name, sets });
  }
  for (const text of termColumns(table)) {
    const free = isDatasetRoot ? (check.expectations.released.get(text.name) ?? []) : [];
    const sets = check.expectations.termSets.filter((s) => !free.includes(s));
    if (sets.length > 0) required.push({ kind: 'sensitive-terms', alias, column: text.name, sets });
  }
  return required;
}

function matches(found: GuardInfo | undefined, required: GuardInfo): boolean {
  if (!found || found.kind !== required.kind || found.alias !== required.alias) return false;
  if (required.column !== undefined && found.column !== required.column) return false;
  if (required.relation !== undefined && found.relation !== required.relation) return false;
  if (required.sets !== undefined && !sameNames(found.sets, required.sets)) return false;
  if (required.set !== undefined && found.set !== required.set) return false;
  return true;
}

/** The same names in the same order (both absent counts as the same, as their JSON text would). */
function sameNames(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function describe(guard: GuardInfo): string {
  if (guard.kind === 'sensitive-codes' || guard.kind === 'sensitive-terms') return `the ${guard.kind} guard on ${guard.column} (${guard.sets?.join(', ')})`;
  if (guard.kind === 'confidential-parent') return `the confidential-parent guard (through ${guard.relation})`;
  if (guard.kind === 'patient-scope') return `the patient-scope guard (${guard.set === 'eligible' ? 'eligible patients' : 'population members'})`;
  return `the ${guard.kind} guard`;
}

/** The AND-ed conditions of a WHERE or ON, through parentheses. */
function conjuncts(node: Node | undefined): Node[] {
  if (!node) return [];
  switch (node.kind) {
    case 'WhereNode':
      return conjuncts(node['where'] as Node);
    case 'OnNode':
      return conjuncts(node['on'] as Node);
    case 'AndNode':
      return [...conjuncts(node['left'] as Node), ...conjuncts(node['right'] as Node)];
    case 'ParensNode':
      return conjuncts(node['node'] as Node);
    default:
      return [node];
  }
}

/** `schema.table as alias` of a catalogue table, or undefined (a CTE, a derived table). */
function tableReference(catalogue: Catalogue, node: Node | undefined): { table: CatalogueTable; alias: string; node: Node } | undefined {
  if (node?.kind !== 'AliasNode') return undefined;
  const tableNode = node['node'] as Node;
  if (tableNode?.kind !== 'TableNode') return undefined;
  const table = catalogueTable(catalogue, tableNode);
  const alias = node['alias']?.name as string | undefined;
  return table && alias ? { table, alias, node: tableNode } : undefined;
}

function catalogueTable(catalogue: Catalogue, tableNode: Node): CatalogueTable | undefined {
  const schema = tableNode['table']?.schema?.name as string | undefined;
  const name = tableNode['table']?.identifier?.name as string | undefined;
  if (!schema || !name) return undefined;
  return tableIndex(catalogue).get(`${schema}\u0000${name}`);
}

/** Per catalogue, its tables by schema and name (rebuilt should its list of tables change). */
const TABLES = new WeakMap<Catalogue, { tables: readonly CatalogueTable[]; length: number; index: Map<string, CatalogueTable> }>();

function tableIndex(catalogue: Catalogue): Map<string, CatalogueTable> {
  const known = TABLES.get(catalogue);
  if (known && known.tables === catalogue.tables && known.length === catalogue.tables.length) return known.index;
  const index = new Map<string, CatalogueTable>();
  // The first of a schema and name wins, as a search of catalogue.tables would find it.
  for (const t of catalogue.tables) if (!index.has(`${t.schema}\u0000${t.name}`)) index.set(`${t.schema}\u0000${t.name}`, t);
  TABLES.set(catalogue, { tables: catalogue.tables, length: catalogue.tables.length, index });
  return index;
}
