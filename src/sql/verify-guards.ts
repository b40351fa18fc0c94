import type { OperationNode } from 'kysely';
import { codedColumns, type Catalogue, type CatalogueTable } from '../catalogue/catalogue.js';
import { guardOf, type GuardInfo, type GuardKind } from './guards.js';

/** What the policy requires of every query of one definition. */
export interface GuardExpectations {
  catalogue: Catalogue;
  /** The sensitive sets every coded column must exclude (sorted). */
  sensitiveSets: string[];
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
  'sensitive-codes',
  'population-join',
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
 *   CTEs), carries that table's row guards as top-level conjuncts of its WHERE (the FROM table)
 *   or its ON (a joined table): tombstone, confidential, and the sensitive sets on each coded column;
 * - the population query carries every population guard the definition calls for, and the
 *   population CTE excludes the opted out;
 * - the query's output comes from a dataset select joined to the population (or limited to the
 *   practices in scope), or from a deletion branch that outputs record ids only;
 * - selects that skip row guards output keys only (delta candidates), and no guarded table is
 *   named anywhere but in a FROM or JOIN.
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
  checkCtes(root as Node, expectations, fail);

  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const v of value) visit(v);
      return;
    }
    if (!value || typeof value !== 'object') return;
    const node = value as Node;
    const info = guardOf(node);
    if (info && GUARD_KINDS.has(info.kind)) return;
    if (node.kind === 'SelectQueryNode') {
      if (done.has(node)) return;
      if (info?.kind === 'keys-only') {
        checkKeysOnly(node, expectations, fail);
        visit(node['setOperations']);
        return;
      }
      checkSelect(node, expectations, accounted, fail);
      for (const key of Object.keys(node)) {
        if (key !== 'kind') visit(node[key]);
      }
      done.add(node);
      return;
    }
    if (node.kind === 'TableNode' && !accounted.has(node)) {
      const table = catalogueTable(expectations.catalogue, node);
      if (table && requiredRowGuards(table, 'x', expectations).length > 0) fail(`table ${table.schema}.${table.name} is read outside a FROM or JOIN, where its guards cannot be checked`);
    }
    for (const key of Object.keys(node)) {
      if (key === 'kind') continue;
      visit(node[key]);
    }
  };
  visit(root);
}

/** The output: a dataset select, the delta's UNION ALL of dataset and deletion selects, or the population. */
function checkRoot(root: Node, fail: (problem: string) => never): void {
  const mark = guardOf(root)?.kind;
  if (mark === 'dataset-root' || mark === 'population-state') return;
  if (mark === 'k-anonymity') {
    if (!readsDatasetSelects(root)) fail('the k-anonymity query does not read dataset selects only');
    return;
  }
  if (mark === 'delta-output') {
    const derived = root['from']?.froms?.[0]?.node as Node | undefined;
    const branches: Node[] = derived ? [derived, ...((derived['setOperations'] ?? []) as Node[]).map((s) => s['expression'] as Node)] : [];
    if (branches.length === 0) fail('the delta query reads no dataset select');
    for (const branch of branches) {
      const kind = guardOf(branch)?.kind;
      if (kind !== 'dataset-root' && kind !== 'delete-branch') fail('a branch of the delta query is neither a dataset select nor a deletion');
    }
    return;
  }
  fail('the query is not one the compiler makes (a dataset, a delta or the population)');
}

/**
 * A k-anonymity query (src/disclosure) aggregates, through selects over derived tables and
 * UNION ALLs of them, rows of dataset selects and nothing else: no table, no join at any step.
 */
function readsDatasetSelects(select: Node): boolean {
  const froms = (select['from']?.froms ?? []) as Node[];
  if (froms.length === 0 || (select['joins'] ?? []).length > 0) return false;
  return froms.every((from) => {
    const derived = from['kind'] === 'AliasNode' ? (from['node'] as Node) : undefined;
    if (!derived || derived['kind'] !== 'SelectQueryNode') return false;
    const branches = [derived, ...((derived['setOperations'] ?? []) as Node[]).map((s) => s['expression'] as Node)];
    return branches.every((b) => guardOf(b)?.kind === 'dataset-root' || (guardOf(b) === undefined && b['kind'] === 'SelectQueryNode' && readsDatasetSelects(b)));
  });
}

/** population_base must be the marked population select; population must exclude the opted out. */
function checkCtes(root: Node, expectations: GuardExpectations, fail: (problem: string) => never): void {
  const ctes = (root['with']?.expressions ?? []) as Node[];
  const byName = new Map(ctes.map((c) => [c['name']?.table?.table?.identifier?.name as string, c['expression'] as Node]));
  const base = byName.get('population_base');
  const population = byName.get('population');
  if (!base || !population) fail('the population CTEs are missing');
  if (expectations.sensitiveSets.length > 0) {
    const codes = byName.get('sensitive_codes');
    const info = codes ? guardOf(codes) : undefined;
    if (info?.kind !== 'sensitive-code-set' || JSON.stringify(info.sets) !== JSON.stringify(expectations.sensitiveSets)) {
      fail(`the sensitive_codes CTE does not hold exactly the sets ${expectations.sensitiveSets.join(', ')}`);
    }
  }
  if (guardOf(base!)?.kind !== 'population-base') fail('population_base is not the population select');
  if (!conjuncts(population!['where']).some((c) => guardOf(c)?.kind === 'not-opted-out')) fail('the population CTE does not exclude opted-out patients');
}

function checkSelect(select: Node, expectations: GuardExpectations, accounted: WeakSet<object>, fail: (problem: string) => never): void {
  const mark = guardOf(select)?.kind;
  const where = conjuncts(select['where']);
  const references: { table: CatalogueTable; alias: string; place: Node[]; isFrom: boolean; node: Node }[] = [];
  for (const from of (select['from']?.froms ?? []) as Node[]) {
    const ref = tableReference(expectations.catalogue, from);
    if (ref) references.push({ ...ref, place: where, isFrom: true });
  }
  for (const join of (select['joins'] ?? []) as Node[]) {
    const ref = tableReference(expectations.catalogue, join['table'] as Node);
    if (!ref) continue;
    const on = conjuncts(join['on']);
    references.push({ ...ref, place: join['joinType'] === 'InnerJoin' ? [...on, ...where] : on, isFrom: false });
  }
  for (const ref of references) accounted.add(ref.node);

  if (mark === 'population-base') {
    checkPopulationBase(select, references, expectations, fail);
    return;
  }
  if (mark === 'dataset-root' || mark === 'delete-branch') {
    const root = references.find((r) => r.isFrom && r.alias === 't');
    if (!root) fail('a dataset select does not read its table as t');
    const joins = (select['joins'] ?? []) as Node[];
    const populationJoin = joins.some(
      (j) => j['joinType'] === 'InnerJoin' && conjuncts(j['on']).some((c) => matches(guardOf(c), { kind: 'population-join', alias: 't' })),
    );
    const practiceScope = where.some((c) => matches(guardOf(c), { kind: 'practice-scope', alias: 't' }));
    if (root!.table.patientColumn ? !populationJoin : !practiceScope) {
      fail(`dataset table ${root!.table.name} is not ${root!.table.patientColumn ? 'joined to the population' : 'limited to the practices in scope'}`);
    }
  }
  if (mark === 'delete-branch') {
    for (const selection of (select['selections'] ?? []) as Node[]) {
      const value = selection['selection']?.node as Node | undefined;
      const kind = value ? guardOf(value)?.kind : undefined;
      if (kind !== 'null-field' && kind !== 'record-id' && kind !== 'change-type' && kind !== 'practice-routing') {
        fail('a deletion outputs something other than its record id');
      }
    }
  }
  for (const ref of references) {
    if (mark === 'delete-branch' && ref.isFrom) continue; // its rows are those the guards refuse: they output no data
    for (const required of requiredRowGuards(ref.table, ref.alias, expectations)) {
      if (!ref.place.some((c) => matches(guardOf(c), required))) {
        fail(`${describe(required)} is missing on ${ref.table.name} (as ${ref.alias})`);
      }
    }
  }
}

function checkPopulationBase(
  select: Node,
  references: { table: CatalogueTable; alias: string; place: Node[]; isFrom: boolean }[],
  expectations: GuardExpectations,
  fail: (problem: string) => never,
): void {
  const model = expectations.catalogue.population;
  const patient = references.find((r) => r.isFrom && r.table.name === model.patient.table);
  const registration = references.find((r) => !r.isFrom && r.table.name === model.registration.table && r.place.some((c) => guardOf(c)?.kind === 'registration-current'));
  if (!patient || !registration) return fail('the population does not read the patient and their registration');
  const need = (ref: typeof patient, kind: GuardKind) => {
    if (!ref.place.some((c) => matches(guardOf(c), { kind, alias: ref.alias }))) fail(`the population has no ${kind} guard`);
  };
  if (patient.table.tombstone) need(patient, 'patient-tombstone');
  need(patient, 'pds-sensitive');
  if (expectations.population.excludeDeceased) need(patient, 'deceased');
  if (registration.table.tombstone) need(registration, 'registration-tombstone');
  need(registration, 'registration-current');
  need(registration, 'registration-practice');
  if (expectations.population.permanentOnly) need(registration, 'registration-permanent');
  const flag = ((select['selections'] ?? []) as Node[]).map((s) => guardOf(s['selection']?.node as Node)).find((g) => g?.kind === 'opt-out-flag');
  const wanted = expectations.population.optOuts;
  if (!flag || flag.optOuts?.type1 !== wanted.type1 || flag.optOuts?.nationalDataOptOut !== wanted.nationalDataOptOut) fail('the population does not flag the opted out as the definition requires');
  // Tables the population filter reads are checked like any other.
  for (const ref of references) {
    if (ref === patient || ref === registration) continue;
    for (const required of requiredRowGuards(ref.table, ref.alias, expectations)) {
      if (!ref.place.some((c) => matches(guardOf(c), required))) fail(`${describe(required)} is missing on ${ref.table.name} (as ${ref.alias})`);
    }
  }
}

/** A delta candidate select: it may skip row guards because it outputs only keys of its FROM table. */
function checkKeysOnly(select: Node, expectations: GuardExpectations, fail: (problem: string) => never): void {
  const from = tableReference(expectations.catalogue, select['from']?.froms?.[0] as Node);
  if (!from) return fail('a key-only select does not read a catalogue table');
  for (const selection of (select['selections'] ?? []) as Node[]) {
    const raw = selection['selection']?.node as Node | undefined;
    const ref = raw?.['kind'] === 'RawNode' && (raw['sqlFragments'] as string[]).every((f) => f === '') ? (raw['parameters'] as Node[])[0] : undefined;
    const alias = ref?.['table']?.table?.identifier?.name;
    const columnName = ref?.['column']?.column?.name;
    if (ref?.['kind'] !== 'ReferenceNode' || alias !== from.alias || !from.table.primaryKey.includes(columnName)) {
      fail(`a key-only select over ${from.table.name} outputs more than its key`);
    }
  }
}

function requiredRowGuards(table: CatalogueTable, alias: string, expectations: GuardExpectations): GuardInfo[] {
  const required: GuardInfo[] = [];
  if (table.tombstone) required.push({ kind: 'tombstone', alias });
  if (table.confidentialColumn) required.push({ kind: 'confidential', alias });
  if (expectations.sensitiveSets.length > 0) {
    for (const coded of codedColumns(table)) required.push({ kind: 'sensitive-codes', alias, column: coded.name, sets: expectations.sensitiveSets });
  }
  return required;
}

function matches(found: GuardInfo | undefined, required: GuardInfo): boolean {
  if (!found || found.kind !== required.kind || found.alias !== required.alias) return false;
  if (required.column !== undefined && found.column !== required.column) return false;
  if (required.sets !== undefined && JSON.stringify(found.sets) !== JSON.stringify(required.sets)) return false;
  return true;
}

function describe(guard: GuardInfo): string {
  return guard.kind === 'sensitive-codes' ? `the sensitive-codes guard on ${guard.column} (${guard.sets?.join(', ')})` : `the ${guard.kind} guard`;
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
  return catalogue.tables.find((t) => t.schema === schema && t.name === name);
}
