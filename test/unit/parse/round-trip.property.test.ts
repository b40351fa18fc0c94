import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { CatalogueTable } from '../../../src/catalogue/catalogue.js';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import type { Diagnostic } from '../../../src/diagnostics/diagnostic.js';
import type { IrExpr, ValueType } from '../../../src/ir/expression.js';
import { walkExpression } from '../../../src/ir/expression.js';
import type { ExtractDefinition } from '../../../src/ir/extract-definition.js';
import { canonicalDefinition } from '../../../src/ir/fingerprint.js';
import type { ParsedDefinition } from '../../../src/parse/definition-source.js';
import { withoutSpans, type BinaryOperator } from '../../../src/parse/expression-ast.js';
import { parseDefinitionText } from '../../../src/parse/parse-definition.js';
import { printExdef } from '../../../src/print/print-exdef.js';
import { printYaml } from '../../../src/print/print-yaml.js';
import { resolveDefinition } from '../../../src/resolve/resolve-definition.js';
import { columnType } from '../../../src/resolve/resolve-expression.js';
import { resources } from '../../../src/resources.js';

/**
 * Property tests of the two surface syntaxes: random valid definitions (the YAML data model,
 * type-correct expressions against the reference catalogue, hostile strings everywhere) go
 * YAML → exdef → YAML and exdef → YAML → exdef, and must resolve to the same IR at every step.
 *
 * Reproduce a failure with the seed fast-check prints: EXDEF_FC_SEED=<seed> npx vitest run <this file>.
 * EXDEF_FC_RUNS overrides the number of runs per property (200 in the suite; a nightly or a change
 * to the parsers or printers should run thousands).
 */

const SEED = process.env['EXDEF_FC_SEED'] !== undefined ? Number(process.env['EXDEF_FC_SEED']) : 20_260_101;
const RUNS = process.env['EXDEF_FC_RUNS'] !== undefined ? Number(process.env['EXDEF_FC_RUNS']) : 200;
const FC_OPTIONS: fc.Parameters<unknown> = { seed: SEED, numRuns: RUNS };

const catalogue = referenceCatalogue();

// ------------------------------------------------------------------ expressions, as generated

/** An expression as the parser should read it (ExprAst without spans). */
type Node =
  | { kind: 'number'; text: string }
  | { kind: 'string'; value: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'date'; value: string }
  | { kind: 'interval'; text: string }
  | { kind: 'path'; segments: string[] }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'exists'; path: string[]; where?: Node }
  | { kind: 'not'; operand: Node }
  | { kind: 'negate'; operand: Node }
  | { kind: 'binary'; op: BinaryOperator; left: Node; right: Node }
  | { kind: 'isNull'; operand: Node; negated: boolean }
  | { kind: 'in'; operand: Node; negated: boolean; list?: Node[]; ecl?: Ecl }
  | { kind: 'between'; operand: Node; low: Node; high: Node; negated: boolean };

type Ecl =
  | { kind: 'concept'; id: string; term?: string }
  | { kind: 'descendantOrSelf' | 'descendant' | 'memberOf'; operand: Ecl }
  | { kind: 'or' | 'and' | 'minus'; left: Ecl; right: Ecl };

/** The types an expression can have (binary columns are left out: nothing can use them). */
type Ty = Exclude<ValueType, 'binary' | 'null'>;

// ------------------------------------------------------------------ the sample terminology

const sample = resources.sampleTerminology;
const conceptRows = readFileSync(join(sample, 'sct2_Concept_Snapshot_INT_20260101.txt'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
const CONCEPT_IDS = conceptRows.map((r) => r[0]!);
const TERMS = new Map<string, string>();
for (const row of readFileSync(join(sample, 'sct2_Description_Snapshot-en_INT_20260101.txt'), 'utf8').trim().split('\n').slice(1)) {
  const cells = row.split('\t');
  const id = cells[4]!;
  // The FSN without its semantic tag, as people write terms: |Diabetes mellitus|.
  if (!TERMS.has(id)) TERMS.set(id, cells[7]!.replace(/\s*\([^()]*\)$/, '').trim());
}
const REFSET_IDS = [
  ...new Set(
    readFileSync(join(sample, 'der2_Refset_SimpleSnapshot_INT_20260101.txt'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split('\t')[4]!),
  ),
];

// ------------------------------------------------------------------ scopes from the catalogue

interface Scope {
  table: string;
  /** Column paths reachable through to-one relations (up to two hops), by type. */
  columns: Map<Ty, string[][]>;
  /** Paths exists() can test: a to-many relation (by name or, when unique, by table), maybe after a to-one one. */
  manys: { path: string[]; to: string }[];
}

const SELECTABLE = ['patient', 'observation', 'referral', 'medication_issue', 'appointment', 'consultation', 'registration', 'practice'];

function tableNamed(name: string): CatalogueTable {
  const table = catalogue.tables.find((t) => t.name === name);
  if (!table) throw new Error(`no table ${name}`);
  return table;
}

const scopes = new Map<string, Scope>();
function scopeOf(name: string): Scope {
  const cached = scopes.get(name);
  if (cached) return cached;
  const root = tableNamed(name);
  const columns = new Map<Ty, string[][]>();
  const addColumns = (table: CatalogueTable, prefix: string[], hops: number) => {
    for (const column of table.columns) {
      const type = columnType(column);
      if (type === 'binary' || type === 'null') continue;
      const list = columns.get(type) ?? [];
      list.push([...prefix, column.name]);
      columns.set(type, list);
    }
    if (hops === 0) return;
    for (const relation of table.relations) {
      if (relation.cardinality === 'one') addColumns(tableNamed(relation.to), [...prefix, relation.name], hops - 1);
    }
  };
  addColumns(root, [], 2);
  const manys: { path: string[]; to: string }[] = [];
  const addManys = (table: CatalogueTable, prefix: string[]) => {
    const many = table.relations.filter((r) => r.cardinality === 'many');
    for (const relation of many) {
      manys.push({ path: [...prefix, relation.name], to: relation.to });
      // exists(observation where ...): a table name stands for the only relation that leads there.
      if (many.filter((r) => r.to === relation.to).length === 1 && !table.relations.some((r) => r.name === relation.to)) {
        manys.push({ path: [...prefix, relation.to], to: relation.to });
      }
    }
  };
  addManys(root, []);
  for (const relation of root.relations) if (relation.cardinality === 'one') addManys(tableNamed(relation.to), [relation.name]);
  const scope = { table: name, columns, manys };
  scopes.set(name, scope);
  return scope;
}

// ------------------------------------------------------------------ hostile text

const FRAGMENTS = [
  "'", '"', "''", '""', ';', '--', '/*', '*/', '|', '||', '\\', '\\n', '\n', '\r\n', '\r', '\t', ' ', '  ', '#', ' #', ': ', ':', '- ', '? ',
  '&anchor', '*alias', '!tag', '!!str', '%', '@', '`', '{', '}', '[', ']', ',', '>', '>-', '|-', 'é', 'ß', '中文', '😀', '👩‍⚕️', '\u0000', '\u0007',
  '\u001b', '\u2028', '\u2029', '\u0085', '\ufeff', '\u00a0', '\u200b', "'; DROP TABLE patient; --", 'true', 'false', 'null', '~', 'yes', 'no',
  'NaN', '.inf', '1.0', '0x1F', '1e3', '2026-01-01', '01:00-05:00', '---', '...', 'JUSTIFY', 'SELECT *', 'WHERE', "' JUSTIFY '", 'exists(',
  '<< 73211009', '${x}', '<!--', 'é\u0301',
];

/** Whole values that YAML, CSV or SQL might read as something else. */
const SPECIAL_VALUES = [
  'true', 'false', 'null', 'Null', '~', 'yes', 'No', 'on', '1.0', '0', '-1', '1e3', '0o17', '.nan', '2026-01-01', '2026-01-01T00:00:00Z', '12:30',
  ' leading', 'trailing ', ' both ', ' ', '\t', '\n', '\n\n', 'a\n', '\na', ' a\n  b\n', "'", '"', "it's", '"quoted"', '#', '# not a comment',
  'key: value', '- item', '[a, b]', '{a: b}', '|', '>', '*', '&', '!', '%', '@', '`', '--', '/*', '*/', ';', 'é', '中文', '😀', '\\', 'C:\\path\\',
  "O'Brien -- /* x */ ; 'y'", 'tab\there', 'cr\rhere', 'crlf\r\nhere', 'nul\u0000here', 'line\u2028sep',
];

const LOREM = 'The practice recalls patients with diabetes for an annual review and the CHIS matches each record'.split(' ');

const fragment = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...FRAGMENTS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
  { weight: 2, arbitrary: fc.constantFrom(...LOREM) },
);

/** Long texts: folded prose (single spaces) or a hostile pattern repeated, up to 10,000 characters. */
const longText = fc.oneof(
  fc.tuple(fc.array(fc.constantFrom(...LOREM), { minLength: 20, maxLength: 40 }), fc.integer({ min: 100, max: 10_000 })).map(([words, length]) => {
    let text = '';
    while (text.length < length) text += `${words[text.length % words.length]!} `;
    return text.slice(0, length).trim() || 'x';
  }),
  fc.tuple(fc.array(fragment, { minLength: 1, maxLength: 6 }), fc.integer({ min: 100, max: 10_000 })).map(([parts, length]) => {
    const unit = parts.join('') || "'";
    return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
  }),
);

/** Non-empty hostile text (every string of the format has minLength 1). */
const hostile: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 12, arbitrary: fc.array(fragment, { minLength: 1, maxLength: 10 }).map((parts) => parts.join('')) },
    { weight: 4, arbitrary: fc.constantFrom(...SPECIAL_VALUES) },
    { weight: 1, arbitrary: longText },
  )
  .map((s) => (s === '' ? "'" : s));

/**
 * Text for string literals inside expressions (shorter, but just as hostile), without NUL: no
 * PostgreSQL text can hold it, so the resolver refuses it (a test of its own).
 */
const literalText = fc
  .oneof(
    { weight: 4, arbitrary: fc.array(fragment, { minLength: 0, maxLength: 5 }).map((parts) => parts.join('')) },
    { weight: 2, arbitrary: fc.constantFrom(...SPECIAL_VALUES, '', 'female', 'phm-icb-key') },
  )
  .map((text) => text.replace(/\u0000/g, '\u0001'));

/** A pseudonym key name: letters, digits, `-` and `_` (it also names an environment variable). */
const keyName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,20}$/);

// ------------------------------------------------------------------ expression generators

/** Picks one of several lazily built arbitraries (so deep recursion is only built when taken). */
function choose<T>(options: (() => fc.Arbitrary<T>)[]): fc.Arbitrary<T> {
  if (options.length === 0) throw new Error('nothing to choose from');
  return fc.nat({ max: options.length - 1 }).chain((i) => options[i]!());
}

const num = (text: string): Node => ({ kind: 'number', text });
const call = (name: string, ...args: Node[]): Node => ({ kind: 'call', name, args });
const bin = (op: BinaryOperator, left: Node, right: Node): Node => ({ kind: 'binary', op, left, right });

/** A function name as written: the language's functions are case-insensitive. */
const fnName = (name: string) => fc.constantFrom(name, name, name, name.toUpperCase());

const dateText = fc.tuple(fc.integer({ min: 1900, max: 2099 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 })).map(
  ([y, m, d]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
);

const intervalText = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.constantFrom('year', 'month', 'week', 'day', 'hour', 'minute', 'YEAR', 'Month', 'Day'), fc.boolean(), fc.constantFrom(' ', '  ', '\t')), {
    minLength: 1,
    maxLength: 3,
  })
  .chain((parts) =>
    fc.tuple(fc.constantFrom('', ' '), fc.constantFrom('', ' ')).map(([before, after]) => `${before}${parts.map(([n, unit, plural, space]) => `${n}${space}${unit}${plural ? 's' : ''}`).join(' ')}${after}`),
  );

const conceptArb: fc.Arbitrary<Ecl> = fc.tuple(fc.constantFrom(...CONCEPT_IDS), fc.boolean()).map(([id, withTerm]) => {
  const term = TERMS.get(id);
  return withTerm && term ? { kind: 'concept', id, term } : { kind: 'concept', id };
});
const refsetArb: fc.Arbitrary<Ecl> = fc.tuple(fc.constantFrom(...REFSET_IDS), fc.boolean()).map(([id, withTerm]) => {
  const term = TERMS.get(id);
  return withTerm && term ? { kind: 'concept', id, term } : { kind: 'concept', id };
});

function eclArb(depth: number): fc.Arbitrary<Ecl> {
  const focus = (): fc.Arbitrary<Ecl> => (depth > 0 ? choose([() => conceptArb, () => conceptArb, () => eclArb(depth - 1)]) : conceptArb);
  const options: (() => fc.Arbitrary<Ecl>)[] = [
    () => conceptArb,
    () => focus().map((operand) => ({ kind: 'descendantOrSelf' as const, operand })),
    () => focus().map((operand) => ({ kind: 'descendantOrSelf' as const, operand })),
    () => focus().map((operand) => ({ kind: 'descendant' as const, operand })),
    () => refsetArb.map((operand) => ({ kind: 'memberOf' as const, operand })),
    () => refsetArb.map((operand) => ({ kind: 'descendantOrSelf' as const, operand: { kind: 'memberOf' as const, operand } })),
  ];
  if (depth > 0) {
    // Chains of one operator (left-nested, as the parser builds them), and MINUS of two sets.
    options.push(() =>
      fc.tuple(fc.constantFrom('or' as const, 'and' as const), fc.array(eclArb(depth - 1), { minLength: 2, maxLength: 4 })).map(([kind, items]) =>
        items.slice(1).reduce<Ecl>((left, right) => ({ kind, left, right }), items[0]!),
      ),
    );
    options.push(() => fc.tuple(eclArb(depth - 1), eclArb(depth - 1)).map(([left, right]) => ({ kind: 'minus' as const, left, right })));
  }
  return choose(options);
}

const COMPARISONS: BinaryOperator[] = ['=', '<>', '<', '<=', '>', '>='];

/** Types whose values can be compared with = < between and in. */
function comparableWith(ty: Ty): Ty[] {
  if (ty === 'integer' || ty === 'numeric') return ['integer', 'numeric'];
  if (ty === 'date' || ty === 'timestamp') return ['date', 'timestamp'];
  return [ty];
}

function has(scope: Scope, ty: Ty): boolean {
  if (ty === 'code' || ty === 'boolean' || ty === 'timestamp') return (scope.columns.get(ty)?.length ?? 0) > 0 || ty === 'boolean';
  return true;
}

function column(scope: Scope, ty: Ty): (() => fc.Arbitrary<Node>)[] {
  const paths = scope.columns.get(ty) ?? [];
  return paths.length > 0 ? [() => fc.constantFrom(...paths).map((segments) => ({ kind: 'path' as const, segments }))] : [];
}

/** A concept id written as a whole number, compared with a code column. */
const conceptLiteral: fc.Arbitrary<Node> = fc.constantFrom(...CONCEPT_IDS).map(num);

/** A type-correct expression of type `ty` over `scope`. */
function expr(scope: Scope, ty: Ty, depth: number): fc.Arbitrary<Node> {
  const sub = (t: Ty) => expr(scope, t, depth - 1);
  const leaves: (() => fc.Arbitrary<Node>)[] = [...column(scope, ty), ...column(scope, ty)];
  switch (ty) {
    case 'integer':
      leaves.push(() => fc.nat({ max: 1_000_000 }).map((n) => num(String(n))));
      break;
    case 'numeric':
      leaves.push(() => fc.tuple(fc.nat({ max: 9999 }), fc.nat({ max: 999 })).map(([a, b]) => num(`${a}.${b}`)));
      break;
    case 'text':
      leaves.push(() => literalText.map((value) => ({ kind: 'string' as const, value })));
      break;
    case 'date':
      leaves.push(() => dateText.map((value) => ({ kind: 'date' as const, value })));
      leaves.push(() => fnName('today').map((name) => call(name)));
      break;
    case 'boolean':
      leaves.push(() => fc.boolean().map((value) => ({ kind: 'boolean' as const, value })));
      break;
    case 'interval':
      leaves.push(() => intervalText.map((text) => ({ kind: 'interval' as const, text })));
      break;
    case 'timestamp':
    case 'code':
      break;
  }
  if (depth <= 0 || ty === 'interval') return choose(leaves);

  const composite: (() => fc.Arbitrary<Node>)[] = [];
  switch (ty) {
    case 'integer':
      composite.push(
        () => fc.tuple(fc.constantFrom<BinaryOperator>('+', '-', '*'), sub('integer'), sub('integer')).map(([op, l, r]) => bin(op, l, r)),
        () => sub('integer').map((operand) => ({ kind: 'negate' as const, operand })),
        () => fc.tuple(fnName('year'), sub('date')).map(([n, a]) => call(n, a)),
        () => fc.tuple(fnName('year'), sub(has(scope, 'timestamp') ? 'timestamp' : 'date')).map(([n, a]) => call(n, a)),
        () => fc.tuple(fnName('age_years'), sub('date')).map(([n, a]) => call(n, a)),
        () => fc.tuple(fnName('abs'), sub('integer')).map(([n, a]) => call(n, a)),
        () => fc.tuple(fnName('coalesce'), fc.array(sub('integer'), { minLength: 1, maxLength: 3 })).map(([n, a]) => call(n, ...a)),
        () => fc.tuple(sub('date'), sub('date')).map(([l, r]) => bin('-', l, r)),
      );
      break;
    case 'numeric':
      composite.push(
        () => fc.tuple(fnName('round'), sub('numeric'), fc.option(fc.nat({ max: 6 }), { nil: undefined })).map(([n, a, places]) => (places === undefined ? call(n, a) : call(n, a, num(String(places))))),
        () => fc.tuple(fnName('round'), sub('integer')).map(([n, a]) => call(n, a)),
        () => fc.tuple(sub('integer'), sub('integer')).map(([l, r]) => bin('/', l, r)),
        () => fc.tuple(fc.constantFrom<BinaryOperator>('+', '-', '*', '/'), sub('numeric'), fcPick<Ty>(['integer', 'numeric']).chain((t) => sub(t))).map(([op, l, r]) => bin(op, l, r)),
        () => fc.tuple(fc.constantFrom<BinaryOperator>('+', '*'), sub('integer'), sub('numeric')).map(([op, l, r]) => bin(op, l, r)),
        () => sub('numeric').map((operand) => ({ kind: 'negate' as const, operand })),
        () => fc.tuple(fnName('abs'), sub('numeric')).map(([n, a]) => call(n, a)),
        () => fc.tuple(fnName('coalesce'), sub('numeric'), sub('integer'), fc.boolean()).map(([n, a, b, withNull]) => (withNull ? call(n, a, b, { kind: 'null' }) : call(n, a, b))),
      );
      break;
    case 'text':
      composite.push(
        () => fc.tuple(fnName('lower'), sub('text')).map(([n, a]) => call(n, a)),
        () => fc.tuple(fnName('upper'), sub('text')).map(([n, a]) => call(n, a)),
        () => fc.tuple(fnName('postcode_district'), sub('text')).map(([n, a]) => call(n, a)),
        () => fc.tuple(fnName('age_band'), sub('date'), fc.option(fc.integer({ min: 1, max: 20 }), { nil: undefined })).map(([n, a, width]) => (width === undefined ? call(n, a) : call(n, a, num(String(width))))),
        () =>
          fc.tuple(fnName('pseudonym'), fcPick<Ty>(has(scope, 'code') ? ['text', 'integer', 'code'] : ['text', 'integer']).chain((t) => sub(t)), keyName).map(([n, a, key]) => call(n, a, { kind: 'string', value: key })),
        () => fc.tuple(fnName('coalesce'), fc.array(sub('text'), { minLength: 2, maxLength: 3 })).map(([n, a]) => call(n, ...a)),
      );
      break;
    case 'date':
      composite.push(
        () => fc.tuple(fnName('month'), sub('date')).map(([n, a]) => call(n, a)),
        () => fc.tuple(fc.constantFrom<BinaryOperator>('+', '-'), sub('date'), sub('interval')).map(([op, l, r]) => bin(op, l, r)),
        () => fc.tuple(sub('interval'), sub('date')).map(([l, r]) => bin('+', l, r)),
        () => fc.tuple(fc.constantFrom<BinaryOperator>('+', '-'), sub('date'), sub('integer')).map(([op, l, r]) => bin(op, l, r)),
        () => fc.tuple(fnName('coalesce'), sub('date'), sub('date')).map(([n, a, b]) => call(n, a, b)),
      );
      if (has(scope, 'timestamp')) {
        composite.push(
          () => fc.tuple(fnName('month'), sub('timestamp')).map(([n, a]) => call(n, a)),
          () => fc.tuple(fnName('date_of'), sub('timestamp')).map(([n, a]) => call(n, a)),
        );
      }
      break;
    case 'timestamp':
      composite.push(
        () => fc.tuple(fc.constantFrom<BinaryOperator>('+', '-'), sub('timestamp'), sub('interval')).map(([op, l, r]) => bin(op, l, r)),
        () => fc.tuple(fnName('coalesce'), sub('timestamp'), sub('timestamp')).map(([n, a, b]) => call(n, a, b)),
      );
      break;
    case 'code':
      composite.push(() => fc.tuple(fnName('coalesce'), sub('code'), sub('code')).map(([n, a, b]) => call(n, a, b)));
      break;
    case 'boolean': {
      const comparable = (['integer', 'numeric', 'text', 'date', 'timestamp', 'code', 'boolean'] as Ty[]).filter((t) => has(scope, t));
      const codeSide = (): fc.Arbitrary<Node> => choose([() => sub('code'), () => conceptLiteral]);
      composite.push(
        // A comparison, either way round (a literal on the left too).
        () =>
          fcPick(comparable).chain((t) => {
            if (t === 'code') return fc.tuple(fc.constantFrom<BinaryOperator>('=', '<>'), sub('code'), codeSide(), fc.boolean()).map(([op, a, b, swap]) => (swap ? bin(op, b, a) : bin(op, a, b)));
            if (t === 'boolean') return fc.tuple(fc.constantFrom<BinaryOperator>('=', '<>'), sub('boolean'), sub('boolean')).map(([op, a, b]) => bin(op, a, b));
            return fc.tuple(fc.constantFrom(...COMPARISONS), sub(t), fcPick(comparableWith(t)).chain((u) => sub(u)), fc.boolean()).map(([op, a, b, swap]) => (swap ? bin(op, b, a) : bin(op, a, b)));
          }),
        () => fc.tuple(fc.constantFrom<BinaryOperator>('and', 'or'), sub('boolean'), sub('boolean')).map(([op, l, r]) => bin(op, l, r)),
        () => fc.tuple(fc.constantFrom<BinaryOperator>('and', 'or'), sub('boolean'), sub('boolean')).map(([op, l, r]) => bin(op, l, r)),
        () => sub('boolean').map((operand) => ({ kind: 'not' as const, operand })),
        () => fc.tuple(fcPick((['integer', 'text', 'date', 'code', 'numeric'] as Ty[]).filter((t) => has(scope, t))).chain((t) => sub(t)), fc.boolean()).map(([operand, negated]) => ({ kind: 'isNull' as const, operand, negated })),
        () =>
          fcPick((['integer', 'numeric', 'text', 'date'] as Ty[]).filter((t) => has(scope, t))).chain((t) =>
            fc.tuple(sub(t), sub(t), sub(t), fc.boolean()).map(([operand, low, high, negated]) => ({ kind: 'between' as const, operand, low, high, negated })),
          ),
        () =>
          fcPick((['integer', 'text', 'date', 'code'] as Ty[]).filter((t) => has(scope, t))).chain((t) =>
            fc
              .tuple(sub(t), fc.array(t === 'code' ? conceptLiteral : sub(t), { minLength: 1, maxLength: 4 }), fc.boolean())
              .map(([operand, list, negated]) => ({ kind: 'in' as const, operand, list, negated })),
          ),
      );
      if (has(scope, 'code')) {
        composite.push(() =>
          fc.tuple(sub('code'), eclArb(2), fc.boolean()).map(([operand, ecl, negated]) => ({ kind: 'in' as const, operand, ecl, negated })),
        );
        composite.push(() => fc.tuple(column(scope, 'code')[0]!(), eclArb(1)).map(([operand, ecl]) => ({ kind: 'in' as const, operand, ecl, negated: false })));
      }
      if (scope.manys.length > 0) {
        composite.push(() =>
          fcPick(scope.manys).chain((m) =>
            fc.option(expr(scopeOf(m.to), 'boolean', depth - 1), { nil: undefined, freq: 3 }).map((where): Node => (where ? { kind: 'exists', path: m.path, where } : { kind: 'exists', path: m.path })),
          ),
        );
      }
      break;
    }
  }
  // Composite shapes twice as often as leaves, so that precedence gets exercised.
  return choose([...leaves, ...composite, ...composite]);
}

function fcPick<T>(items: readonly T[]): fc.Arbitrary<T> {
  return fc.constantFrom(...items);
}

// ------------------------------------------------------------------ rendering expressions as text

/** A small deterministic PRNG, for the incidental choices of how an expression is written. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PREC: Record<string, number> = { or: 1, and: 2, not: 3, '=': 4, '<>': 4, '<': 4, '<=': 4, '>': 4, '>=': 4, '+': 5, '-': 5, '*': 6, '/': 6 };

function prec(node: Node): number {
  switch (node.kind) {
    case 'binary':
      return PREC[node.op]!;
    case 'not':
      return 3;
    case 'isNull':
    case 'in':
    case 'between':
      return 4;
    case 'negate':
      return 7;
    default:
      return 100;
  }
}

/**
 * Writes an expression the way a person might: keywords in any case, odd whitespace (line breaks
 * and tabs too), block comments, redundant parentheses; only the parentheses precedence needs are
 * required. Written independently of src/print, from the documented precedence.
 */
function renderExpression(node: Node, seed: number): string {
  const random = prng(seed);
  const chance = (p: number) => random() < p;
  const pickOne = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const ws = () => (chance(0.85) ? ' ' : pickOne([' ', '  ', '\n  ', '\t', ' /* note */ ', '\r\n\t']));
  const kw = (word: string) => (chance(0.7) ? word : chance(0.5) ? word.toUpperCase() : word[0]!.toUpperCase() + word.slice(1));
  const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
  interface Out {
    t: string;
    /** The text ends with a bare ECL code set, which a following `and 5` or `or (` would extend. */
    ecl: boolean;
  }
  const paren = (o: Out): Out => ({ t: chance(0.8) ? `(${o.t})` : `( ${o.t} )`, ecl: false });
  const child = (n: Node, needed: boolean): Out => {
    const o = render(n);
    return needed || chance(0.08) ? paren(o) : o;
  };

  const renderEcl = (e: Ecl): string => {
    const compound = (x: Ecl) => x.kind === 'or' || x.kind === 'and' || x.kind === 'minus';
    const sp = () => (chance(0.8) ? ' ' : pickOne(['', '  ', '\n']));
    switch (e.kind) {
      case 'concept': {
        if (e.term === undefined) return e.id;
        const pad = chance(0.2) ? ' ' : '';
        return `${e.id}${sp() || ' '}|${pad}${e.term}${pad}|`;
      }
      case 'descendantOrSelf':
      case 'descendant':
      case 'memberOf': {
        const symbol = e.kind === 'descendantOrSelf' ? '<<' : e.kind === 'descendant' ? '<' : '^';
        // The focus of << < ^ is a concept, a member-of (after << and <) or a parenthesised set.
        const bare = e.operand.kind === 'concept' || (e.kind !== 'memberOf' && e.operand.kind === 'memberOf');
        const operand = bare ? renderEcl(e.operand) : `(${renderEcl(e.operand)})`;
        return `${symbol}${sp()}${operand}`;
      }
      case 'or':
      case 'and':
      case 'minus': {
        const word = chance(0.8) ? e.kind.toUpperCase() : e.kind;
        const left = e.left.kind === e.kind && e.kind !== 'minus' ? renderEcl(e.left) : compound(e.left) ? `(${renderEcl(e.left)})` : renderEcl(e.left);
        const right = compound(e.right) ? `(${renderEcl(e.right)})` : renderEcl(e.right);
        return `${left} ${word} ${right}`;
      }
    }
  };

  const render = (n: Node): Out => {
    switch (n.kind) {
      case 'number':
        return { t: n.text, ecl: false };
      case 'string':
        return { t: quote(n.value), ecl: false };
      case 'boolean':
        return { t: kw(String(n.value)), ecl: false };
      case 'null':
        return { t: kw('null'), ecl: false };
      case 'date':
        return { t: chance(0.5) ? n.value : `${kw('date')}${ws()}${quote(n.value)}`, ecl: false };
      case 'interval':
        return { t: `${kw('interval')}${ws()}${quote(n.text)}`, ecl: false };
      case 'path':
        return { t: n.segments.join('.'), ecl: false };
      case 'call':
        return { t: `${n.name}(${n.args.map((a) => render(a).t).join(`,${ws()}`)})`, ecl: false };
      case 'exists':
        return { t: `${kw('exists')}(${n.path.join('.')}${n.where ? `${ws()}${kw('where')}${ws()}${render(n.where).t}` : ''})`, ecl: false };
      case 'not': {
        const operand = child(n.operand, prec(n.operand) < 3);
        return { t: `${kw('not')}${ws()}${operand.t}`, ecl: operand.ecl };
      }
      case 'negate': {
        const operand = child(n.operand, prec(n.operand) < 7);
        // `--` would start a comment: a nested minus needs a space or parentheses.
        return { t: operand.t.startsWith('-') ? `- ${operand.t}` : `-${operand.t}`, ecl: false };
      }
      case 'binary': {
        const p = PREC[n.op]!;
        const comparison = p === 4;
        let left = child(n.left, comparison ? prec(n.left) <= p : prec(n.left) < p);
        const right = child(n.right, prec(n.right) <= p);
        if ((n.op === 'and' || n.op === 'or') && left.ecl && /^[0-9(]/.test(right.t)) left = paren(left);
        const op = n.op === '<>' && chance(0.3) ? '!=' : n.op === 'and' || n.op === 'or' ? kw(n.op) : n.op;
        return { t: `${left.t}${ws()}${op}${ws()}${right.t}`, ecl: right.ecl };
      }
      case 'isNull':
        return { t: `${child(n.operand, prec(n.operand) <= 4).t}${ws()}${kw('is')}${ws()}${n.negated ? `${kw('not')}${ws()}` : ''}${kw('null')}`, ecl: false };
      case 'between': {
        const operand = child(n.operand, prec(n.operand) <= 4).t;
        const low = child(n.low, prec(n.low) <= 4).t;
        const high = child(n.high, prec(n.high) <= 4).t;
        return { t: `${operand}${ws()}${n.negated ? `${kw('not')}${ws()}` : ''}${kw('between')}${ws()}${low}${ws()}${kw('and')}${ws()}${high}`, ecl: false };
      }
      case 'in': {
        const operand = child(n.operand, prec(n.operand) <= 4).t;
        const head = `${operand}${ws()}${n.negated ? `${kw('not')}${ws()}` : ''}${kw('in')}${ws()}`;
        if (n.list) return { t: `${head}(${n.list.map((item) => render(item).t).join(`,${ws()}`)})`, ecl: false };
        const ecl = n.ecl!;
        const text = renderEcl(ecl);
        // A lone concept id in parentheses would be a list of values: (73211009).
        const wrapped = ecl.kind === 'or' || ecl.kind === 'and' || ecl.kind === 'minus' ? chance(0.6) : ecl.kind !== 'concept' && chance(0.2);
        return { t: `${head}${wrapped ? `(${text})` : text}`, ecl: true };
      }
    }
  };
  return render(node).t;
}

// ------------------------------------------------------------------ documents

interface Generated {
  /** The definition in the YAML data model, expressions as text. */
  document: Record<string, unknown>;
  /** The expression trees the texts should parse to, by JSON pointer. */
  expressions: Map<string, Node>;
  /** Options for yaml's stringify, so the first YAML text is not always written the same way. */
  yamlStyle: { defaultStringType: 'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE'; indent: number; lineWidth: number };
}

const kebabSegment = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9]{1,6}$/) },
  { weight: 1, arbitrary: fc.constantFrom('2026', '01', '12', '0', 'in', 'select', 'not', 'minus', 'exists', 'e1', '1e', 'date', 'key', '2026-01-01', '2026-12-31-x') },
);
const kebabId = fc
  .tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), fc.array(kebabSegment, { maxLength: 5 }))
  .map(([head, rest]) => [head, ...rest].join('-').slice(0, 63).replace(/-+$/, ''));

const lowerName = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('select', 'from', 'where', 'as', 'justify', 'join', 'and', 'in', 'is', 'null', 'true', 'minus', 'date', 'key', 'value', 'description', 'exdef', 'set', 'fields', 'on', 'off', 'sex', 'code', 'patient', `a${'b'.repeat(62)}`),
  },
);

const odsCode = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[A-Z][A-Z0-9]{2,7}$/) },
  { weight: 2, arbitrary: fc.constantFrom('A81001', 'A81002', 'A81003', 'B82005', 'Y12345') },
  { weight: 1, arbitrary: fc.constantFrom('AND', 'NOT', 'SELECT', 'FROM', 'WHERE', 'NULL', 'TRUE', 'KEY', 'DATE', 'TYPE1', 'SET', 'OUT', 'MINUS', 'JUSTIFY') },
);

const timeText = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
const oneCharacter = fc.oneof(fc.constantFrom(',', '|', ';', '\t', "'", '"', '\\', '#', ':', ' ', '\n', 'é', '😀', '-', '/', '*'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));

/** An expression with the seed it is written with. */
interface Written {
  node: Node;
  seed: number;
}
const written = (arb: fc.Arbitrary<Node>): fc.Arbitrary<Written> => fc.tuple(arb, fc.nat()).map(([node, seed]) => ({ node, seed }));

const fieldArb = (scope: Scope) =>
  fc.tuple(
    fcPick<Ty>(['integer', 'numeric', 'text', 'text', 'date', 'code', 'boolean', 'timestamp'].filter((t) => has(scope, t as Ty)) as Ty[]).chain((t) =>
      written(choose([() => expr(scope, t, 2), () => choose(column(scope, t).length > 0 ? column(scope, t) : [() => expr(scope, t, 1)])])),
    ),
    hostile,
    fc.boolean(),
  );

const datasetArb = fc.constantFrom(...SELECTABLE).chain((from) => {
  const scope = scopeOf(from);
  return fc.record(
    {
      from: fc.constant(from),
      description: hostile,
      where: written(expr(scope, 'boolean', 3)),
      fields: fc.uniqueArray(lowerName, { minLength: 1, maxLength: 5 }).chain((names) => fc.tuple(fc.constant(names), fc.tuple(...names.map(() => fieldArb(scope))))),
    },
    { requiredKeys: ['from', 'fields'] },
  );
});

const exemptionArb = fc.record(
  {
    rule: kebabId,
    code_set: fc.oneof(fc.constantFrom('hiv_sti', 'gender_reassignment', 'termination_of_pregnancy', 'select', 'Key'), hostile),
    datasets: fc.array(fc.oneof(fc.constantFrom('people', 'blood_pressure', 'select', 'Key', 'in'), hostile), { minLength: 1, maxLength: 3 }),
    fields: fc.array(fc.oneof(fc.constantFrom('people.person_key', 'nhs_number', 'from', 'a.b.c'), hostile), { minLength: 1, maxLength: 3 }),
    // The structured legal basis: conditions, a notice, an approval (any text: validity is lint's business).
    legal_basis: fc
      .record({ article_6: fc.oneof(fc.constantFrom('6(1)(e) public task', '6(1)(z)'), hostile), article_9: hostile, notice: hostile, approval: hostile }, { requiredKeys: [] })
      .filter((basis) => Object.keys(basis).length > 0),
    justification: hostile,
    expires: dateText,
  },
  { requiredKeys: ['rule'] },
);

const generatedArb: fc.Arbitrary<Generated> = fc
  .record({
    top: fc.record(
      {
        id: kebabId,
        title: hostile,
        version: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 2 ** 31 })),
        organisation: hostile,
        contact: hostile,
        use_case: fc.constantFrom('targeted_reporting', 'data_warehouse', 'direct_care_planning'),
        care_type: fc.constantFrom('direct', 'indirect'),
        intended_use: hostile,
        legal_basis: fc.record({ article_6: hostile, article_9: hostile, statement: hostile, data_provision_notice: hostile }, { requiredKeys: [] }),
        dpia: hostile,
        risk: fc.record({ singling_out: hostile, linkability: hostile }, { requiredKeys: [] }),
        review: fc.record({ last_reviewed: dateText, reviewer: hostile }, { requiredKeys: [] }),
        processing_location: fc.constantFrom('uk', 'elsewhere'),
      },
      { requiredKeys: ['id', 'title', 'version', 'organisation', 'contact', 'use_case', 'care_type'] },
    ),
    population: fc.record(
      {
        registration: fc.constantFrom('permanent', 'all'),
        registration_justification: hostile,
        deceased: fc.constantFrom('exclude', 'include'),
        deceased_justification: hostile,
        type1_opt_out: fc.constantFrom('respect', 'override'),
        type1_opt_out_justification: hostile,
        national_data_opt_out: fc.constantFrom('respect', 'not_applicable'),
        national_data_opt_out_justification: hostile,
        on_opt_back_in: fc.constantFrom('no_backfill', 'backfill'),
        on_leave: fc.constantFrom('delete', 'keep'),
        practices: fc.uniqueArray(odsCode, { minLength: 1, maxLength: 3 }),
        where: written(expr(scopeOf('patient'), 'boolean', 3)),
      },
      { requiredKeys: ['registration', 'deceased', 'type1_opt_out', 'practices'] },
    ),
    mode: fc.constantFrom('full', 'delta'),
    schedule: fc.record(
      { frequency: fc.constantFrom('hourly', 'twice_daily', 'daily', 'weekly', 'fortnightly', 'monthly', 'quarterly'), window: fc.tuple(timeText, timeText).map(([a, b]) => `${a}-${b}`) },
      { requiredKeys: ['frequency'] },
    ),
    output: fc.record(
      {
        csv: fc.record({ delimiter: oneCharacter, quote: oneCharacter, header: fc.boolean(), line_ending: fc.constantFrom('crlf', 'lf') }),
        layout: fc.constantFrom('single_zip', 'per_practice'),
        encryption: fc.record({ certificate: hostile }),
        delivery: fc.oneof(
          fc.constant('none' as const),
          fc.record({ sftp: fc.record({ host: hostile, port: fc.integer({ min: 1, max: 65535 }), user: hostile, directory: hostile, host_key: hostile }, { requiredKeys: ['host', 'user', 'directory', 'host_key'] }) }),
        ),
      },
      { requiredKeys: ['csv', 'layout'] },
    ),
    datasets: fc.uniqueArray(lowerName, { minLength: 1, maxLength: 3 }).chain((names) => fc.tuple(fc.constant(names), fc.tuple(...names.map(() => datasetArb)))),
    exemptions: fc.option(fc.array(exemptionArb, { maxLength: 3 }), { nil: undefined }),
    yamlStyle: fc.record({ defaultStringType: fc.constantFrom('PLAIN' as const, 'QUOTE_DOUBLE' as const, 'QUOTE_SINGLE' as const), indent: fc.constant(2), lineWidth: fc.constantFrom(0, 40, 80) }),
  })
  .map((g) => {
    const expressions = new Map<string, Node>();
    const text = (at: string, w: Written) => {
      expressions.set(at, w.node);
      return renderExpression(w.node, w.seed);
    };
    const { organisation, contact, ...top } = g.top;
    const population: Record<string, unknown> = { ...g.population };
    if (g.population.where) population['where'] = text('/population/where', g.population.where);
    const [datasetNames, datasetParts] = g.datasets;
    const datasets = datasetNames.map((name, i) => {
      const d = datasetParts[i]!;
      const dataset: Record<string, unknown> = { name };
      if (d.description !== undefined) dataset['description'] = d.description;
      dataset['from'] = d.from;
      if (d.where) dataset['where'] = text(`/datasets/${i}/where`, d.where);
      const [names, values] = d.fields;
      const used = new Set(names);
      dataset['fields'] = values.map(([value, justification, implicit], j) => {
        let fieldName = names[j]!;
        // A bare column keeps its own name in the exdef syntax (no AS): sometimes name it so.
        if (implicit && value.node.kind === 'path') {
          const last = value.node.segments[value.node.segments.length - 1]!;
          if (!used.has(last)) {
            used.delete(fieldName);
            used.add(last);
            fieldName = last;
          }
        }
        return { name: fieldName, value: text(`/datasets/${i}/fields/${j}/value`, value), justification };
      });
      return dataset;
    });
    const document: Record<string, unknown> = {
      exdef: 1,
      ...top,
      owner: { organisation, contact },
      population,
      mode: g.mode,
      schedule: g.schedule,
      output: g.output,
      datasets,
    };
    if (g.exemptions !== undefined) document['exemptions'] = g.exemptions;
    return { document, expressions, yamlStyle: g.yamlStyle };
  });

// ------------------------------------------------------------------ the pipeline under test

function describeDiagnostics(diagnostics: readonly Diagnostic[]): string {
  return diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => `  ${d.code} at ${d.span ? `${d.span.start.line}:${d.span.start.column}` : '?'}: ${d.message}`)
    .join('\n');
}

/** Parses and resolves a text that must be valid; the error says which step failed and shows the text. */
function parseAndResolve(step: string, path: string, text: string): { parsed: ParsedDefinition & { document: Record<string, unknown> }; definition: ExtractDefinition } {
  const parsed = parseDefinitionText(path, text);
  const resolved = resolveDefinition(parsed, catalogue);
  const errors = resolved.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !resolved.definition || !parsed.document) {
    throw new Error(`${step}: ${path} does not resolve:\n${describeDiagnostics(resolved.diagnostics)}\n--- text ---\n${text}\n--- end ---`);
  }
  return { parsed: parsed as ParsedDefinition & { document: Record<string, unknown> }, definition: resolved.definition };
}

function expectSameMeaning(step: string, expected: ExtractDefinition, actual: ExtractDefinition, text: string): void {
  const a = canonicalDefinition(expected);
  const b = canonicalDefinition(actual);
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    // toEqual gives the readable diff; the text shows what was parsed.
    expect(b, `${step} changed the meaning; the text was:\n${text}`).toEqual(a);
  }
}

/**
 * The generated document as YAML text, in one of several styles. yaml@2's stringify loses text in
 * some styles it may choose on its own (block scalars for texts with lines of only spaces, folded
 * multi-line double quotes, indents other than 2), so the generator keeps to the faithful ones;
 * printYaml, under test, is checked with every text.
 */
function firstYaml(g: Generated): string {
  const { defaultStringType, indent, lineWidth } = g.yamlStyle;
  return stringify(g.document, { defaultStringType, indent, lineWidth, blockQuote: defaultStringType !== 'PLAIN', doubleQuotedMinMultiLineLength: Infinity });
}

/** Every string value the definition states, by where it is in the document and where the IR keeps it. */
function statedStrings(doc: Record<string, unknown>): { at: string; value: string; ir: (d: ExtractDefinition) => unknown }[] {
  const out: { at: string; value: string; ir: (d: ExtractDefinition) => unknown }[] = [];
  const add = (at: string, value: unknown, ir: (d: ExtractDefinition) => unknown) => {
    if (typeof value === 'string') out.push({ at, value, ir });
  };
  const o = (v: unknown) => (v ?? {}) as Record<string, unknown>;
  add('/title', doc['title'], (d) => d.title);
  add('/owner/organisation', o(doc['owner'])['organisation'], (d) => d.owner.organisation);
  add('/owner/contact', o(doc['owner'])['contact'], (d) => d.owner.contact);
  add('/intended_use', doc['intended_use'], (d) => d.intendedUse);
  const legal = o(doc['legal_basis']);
  add('/legal_basis/article_6', legal['article_6'], (d) => d.legalBasis.article6);
  add('/legal_basis/article_9', legal['article_9'], (d) => d.legalBasis.article9);
  add('/legal_basis/statement', legal['statement'], (d) => d.legalBasis.statement);
  add('/legal_basis/data_provision_notice', legal['data_provision_notice'], (d) => d.legalBasis.dataProvisionNotice);
  add('/dpia', doc['dpia'], (d) => d.dpia);
  add('/risk/singling_out', o(doc['risk'])['singling_out'], (d) => d.risk.singlingOut);
  add('/risk/linkability', o(doc['risk'])['linkability'], (d) => d.risk.linkability);
  add('/review/last_reviewed', o(doc['review'])['last_reviewed'], (d) => d.review.lastReviewed);
  add('/review/reviewer', o(doc['review'])['reviewer'], (d) => d.review.reviewer);
  const p = o(doc['population']);
  add('/population/registration_justification', p['registration_justification'], (d) => d.population.registrationJustification);
  add('/population/deceased_justification', p['deceased_justification'], (d) => d.population.deceasedJustification);
  add('/population/type1_opt_out_justification', p['type1_opt_out_justification'], (d) => d.population.type1OptOutJustification);
  add('/population/national_data_opt_out_justification', p['national_data_opt_out_justification'], (d) => d.population.nationalDataOptOutJustification);
  const output = o(doc['output']);
  add('/output/csv/delimiter', o(output['csv'])['delimiter'], (d) => d.output.csv.delimiter);
  add('/output/csv/quote', o(output['csv'])['quote'], (d) => d.output.csv.quote);
  add('/output/encryption/certificate', o(output['encryption'])['certificate'], (d) => d.output.encryption?.certificate);
  const sftp = o(o(output['delivery'])['sftp']);
  const delivery = (d: ExtractDefinition) => (d.output.delivery.kind === 'sftp' ? d.output.delivery : undefined);
  add('/output/delivery/sftp/host', sftp['host'], (d) => delivery(d)?.host);
  add('/output/delivery/sftp/user', sftp['user'], (d) => delivery(d)?.user);
  add('/output/delivery/sftp/directory', sftp['directory'], (d) => delivery(d)?.directory);
  add('/output/delivery/sftp/host_key', sftp['host_key'], (d) => delivery(d)?.hostKey);
  (doc['datasets'] as Record<string, unknown>[]).forEach((dataset, i) => {
    add(`/datasets/${i}/description`, dataset['description'], (d) => d.datasets[i]?.description);
    (dataset['fields'] as Record<string, unknown>[]).forEach((field, j) => {
      add(`/datasets/${i}/fields/${j}/justification`, field['justification'], (d) => d.datasets[i]?.fields[j]?.justification);
    });
  });
  ((doc['exemptions'] ?? []) as Record<string, unknown>[]).forEach((exemption, k) => {
    add(`/exemptions/${k}/code_set`, exemption['code_set'], (d) => d.exemptions[k]?.codeSet);
    const basis = o(exemption['legal_basis']);
    add(`/exemptions/${k}/legal_basis/article_6`, basis['article_6'], (d) => d.exemptions[k]?.legalBasis?.article6);
    add(`/exemptions/${k}/legal_basis/article_9`, basis['article_9'], (d) => d.exemptions[k]?.legalBasis?.article9);
    add(`/exemptions/${k}/legal_basis/notice`, basis['notice'], (d) => d.exemptions[k]?.legalBasis?.notice);
    add(`/exemptions/${k}/legal_basis/approval`, basis['approval'], (d) => d.exemptions[k]?.legalBasis?.approval);
    ((exemption['datasets'] ?? []) as unknown[]).forEach((n, m) => add(`/exemptions/${k}/datasets/${m}`, n, (d) => d.exemptions[k]?.datasets?.[m]));
    add(`/exemptions/${k}/justification`, exemption['justification'], (d) => d.exemptions[k]?.justification);
    add(`/exemptions/${k}/expires`, exemption['expires'], (d) => d.exemptions[k]?.expires);
    ((exemption['fields'] ?? []) as unknown[]).forEach((f, m) => add(`/exemptions/${k}/fields/${m}`, f, (d) => d.exemptions[k]?.fields?.[m]));
  });
  return out;
}

/** The text literals of every expression of a definition, sorted. */
function irTextLiterals(d: ExtractDefinition): string[] {
  const roots: (IrExpr | undefined)[] = [d.population.where, ...d.datasets.flatMap((ds) => [ds.where, ...ds.fields.map((f) => f.value)])];
  const out: string[] = [];
  for (const root of roots) for (const node of walkExpression(root)) if (node.kind === 'literal' && node.type === 'text') out.push(String(node.value));
  return out.sort();
}

function nodeTextLiterals(expressions: Map<string, Node>): string[] {
  const out: string[] = [];
  const visit = (n: Node | undefined) => {
    if (!n) return;
    switch (n.kind) {
      case 'string':
        out.push(n.value);
        return;
      case 'call':
        n.args.forEach(visit);
        return;
      case 'exists':
        visit(n.where);
        return;
      case 'not':
      case 'negate':
      case 'isNull':
        visit(n.operand);
        return;
      case 'binary':
        visit(n.left);
        visit(n.right);
        return;
      case 'in':
        visit(n.operand);
        n.list?.forEach(visit);
        return;
      case 'between':
        visit(n.operand);
        visit(n.low);
        visit(n.high);
        return;
      default:
        return;
    }
  };
  for (const node of expressions.values()) visit(node);
  return out.sort();
}

function expectStringsKept(step: string, g: Generated, d: ExtractDefinition): void {
  for (const { at, value, ir } of statedStrings(g.document)) {
    expect(ir(d), `${step}: the string at ${at} changed`).toBe(value);
  }
  expect(irTextLiterals(d), `${step}: the text literals of the expressions changed`).toEqual(nodeTextLiterals(g.expressions));
}

// ------------------------------------------------------------------ the properties

describe('round trips between the YAML and exdef syntaxes (fast-check)', () => {
  it('the generator makes valid definitions whose expressions parse to the intended trees', () => {
    fc.assert(
      fc.property(generatedArb, (g) => {
        const yamlText = firstYaml(g);
        const { parsed } = parseAndResolve('YAML from the generator', 'x.exdef.yaml', yamlText);
        expect(parsed.document).toEqual(g.document);
        expect([...parsed.expressions.keys()].sort()).toEqual([...g.expressions.keys()].sort());
        for (const [at, node] of g.expressions) {
          expect(withoutSpans(parsed.expressions.get(at)), `the expression at ${at}`).toEqual(node);
        }
      }),
      FC_OPTIONS,
    );
  });

  it('A: YAML → exdef → YAML gives the same IR at every step', () => {
    fc.assert(
      fc.property(generatedArb, (g) => {
        const yaml0 = firstYaml(g);
        const step0 = parseAndResolve('YAML from the generator', 'x.exdef.yaml', yaml0);
        const exdef1 = printExdef(step0.parsed);
        const step1 = parseAndResolve('exdef printed from the YAML', 'x.exdef', exdef1);
        expectSameMeaning('YAML → exdef', step0.definition, step1.definition, exdef1);
        const yaml2 = printYaml(step1.parsed);
        const step2 = parseAndResolve('YAML printed from the exdef', 'x.exdef.yaml', yaml2);
        expectSameMeaning('YAML → exdef → YAML', step0.definition, step2.definition, yaml2);
        // printYaml straight from the first YAML means the same too, and is where YAML → YAML (fmt) lands.
        const yaml1 = printYaml({ document: step0.parsed.document, expressions: step0.parsed.expressions, comments: new Map() });
        const step1y = parseAndResolve('YAML printed from the YAML', 'x.exdef.yaml', yaml1);
        expectSameMeaning('YAML → YAML', step0.definition, step1y.definition, yaml1);
      }),
      FC_OPTIONS,
    );
  });

  it('B: exdef → YAML → exdef gives the same IR at every step', () => {
    fc.assert(
      fc.property(generatedArb, (g) => {
        const step0 = parseAndResolve('YAML from the generator', 'x.exdef.yaml', firstYaml(g));
        const exdef0 = printExdef(step0.parsed);
        const step1 = parseAndResolve('exdef printed from the generated document', 'x.exdef', exdef0);
        expectSameMeaning('the exdef text', step0.definition, step1.definition, exdef0);
        const yaml2 = printYaml(step1.parsed);
        const step2 = parseAndResolve('YAML printed from the exdef', 'x.exdef.yaml', yaml2);
        expectSameMeaning('exdef → YAML', step1.definition, step2.definition, yaml2);
        const exdef3 = printExdef(step2.parsed);
        const step3 = parseAndResolve('exdef printed from that YAML', 'x.exdef', exdef3);
        expectSameMeaning('exdef → YAML → exdef', step1.definition, step3.definition, exdef3);
        // The canonical exdef text is a fixed point of the round trip (what `exdef fmt` relies on).
        expect(exdef3).toBe(exdef0);
        expect(printExdef(step1.parsed)).toBe(exdef0);
      }),
      FC_OPTIONS,
    );
  });

  it('C: every string value survives both round trips unchanged', () => {
    fc.assert(
      fc.property(generatedArb, (g) => {
        const step0 = parseAndResolve('YAML from the generator', 'x.exdef.yaml', firstYaml(g));
        expectStringsKept('the generated YAML', g, step0.definition);
        // YAML → exdef → YAML
        const a1 = parseAndResolve('exdef printed from the YAML', 'x.exdef', printExdef(step0.parsed));
        expectStringsKept('YAML → exdef', g, a1.definition);
        const a2 = parseAndResolve('YAML printed from the exdef', 'x.exdef.yaml', printYaml(a1.parsed));
        expectStringsKept('YAML → exdef → YAML', g, a2.definition);
        // exdef → YAML → exdef
        const b3 = parseAndResolve('exdef printed from that YAML', 'x.exdef', printExdef(a2.parsed));
        expectStringsKept('exdef → YAML → exdef', g, b3.definition);
      }),
      FC_OPTIONS,
    );
  });
});

// ------------------------------------------------------------------ what the properties found

/** A small valid definition to vary. */
function baseDocument(): Record<string, unknown> {
  return {
    exdef: 1,
    id: 'regression',
    title: 'Regression',
    version: 1,
    owner: { organisation: 'Example ICB', contact: 'ig@example.nhs.uk' },
    use_case: 'data_warehouse',
    care_type: 'indirect',
    population: { registration: 'permanent', deceased: 'exclude', type1_opt_out: 'respect', practices: ['A81001'] },
    mode: 'full',
    schedule: { frequency: 'daily' },
    output: { csv: { delimiter: ',', quote: '"', header: true, line_ending: 'crlf' }, layout: 'single_zip' },
    datasets: [{ name: 'people', from: 'patient', fields: [{ name: 'sex', value: 'sex', justification: 'Prevalence differs by sex.' }] }],
  };
}

/** Both round trips of one document, with the checks of properties A, B and C. */
function expectRoundTrips(document: Record<string, unknown>): void {
  const g: Generated = { document, expressions: new Map(), yamlStyle: { defaultStringType: 'PLAIN', indent: 2, lineWidth: 80 } };
  const step0 = parseAndResolve('the YAML', 'x.exdef.yaml', firstYaml(g));
  const exdef1 = printExdef(step0.parsed);
  const step1 = parseAndResolve('YAML → exdef', 'x.exdef', exdef1);
  expectSameMeaning('YAML → exdef', step0.definition, step1.definition, exdef1);
  const yaml2 = printYaml(step1.parsed);
  const step2 = parseAndResolve('YAML → exdef → YAML', 'x.exdef.yaml', yaml2);
  expectSameMeaning('YAML → exdef → YAML', step0.definition, step2.definition, yaml2);
  const exdef3 = printExdef(step2.parsed);
  expectSameMeaning('exdef → YAML → exdef', step1.definition, parseAndResolve('exdef → YAML → exdef', 'x.exdef', exdef3).definition, exdef3);
  expect(exdef3).toBe(exdef1);
  for (const { at, value, ir } of statedStrings(document)) {
    expect(ir(step2.definition), `the string at ${at}`).toBe(value);
  }
}

describe('round trips of the cases the properties found (fixed examples)', () => {
  const population = (extra: Record<string, unknown>) => ({ ...baseDocument(), population: { ...(baseDocument()['population'] as object), ...extra } });
  const where = (text: string, from = 'observation') => ({
    ...baseDocument(),
    datasets: [{ name: 'rows', from, where: text, fields: [{ name: 'code', value: 'code', justification: 'The code.' }] }],
  });

  it('a review date without a reviewer, and a reviewer without a date (REVIEWED [date] [BY ...])', () => {
    expectRoundTrips({ ...baseDocument(), review: { last_reviewed: '2026-10-01' } });
    expectRoundTrips({ ...baseDocument(), review: { reviewer: "The DPO's deputy" } });
  });

  it('a National Data Opt-out justification without the choice (NATIONAL OPT OUT JUSTIFIED ...)', () => {
    expectRoundTrips(population({ national_data_opt_out_justification: 'Required by law.' }));
  });

  it('an id or rule whose parts look like a date (quoted: "x-2026-01-01")', () => {
    expectRoundTrips({ ...baseDocument(), id: 'audit-2026-01-01', exemptions: [{ rule: 'x-2026-12-31-y', justification: 'j' }] });
  });

  it('names with line breaks and quotes (exemption fields and code sets)', () => {
    expectRoundTrips({ ...baseDocument(), exemptions: [{ rule: 'sensitive-codes', code_set: 'a\nb "c"', fields: ['\n', 'people.sex', '"'] }] });
  });

  // The grammar reads `code in << 1 and 5 ...` as the code set `<< 1 AND 5`; the input here
  // says what it means with parentheses, and the printers must keep them.
  it('a code set followed by `and` and a number or a parenthesised comparison of numbers', () => {
    expectRoundTrips(where('(code in << 73211009) and 5 < value_numeric'));
    expectRoundTrips(where('(code in 73211009) and (5 < 6 or 7 < 8)'));
    expectRoundTrips(where('(not code in (<< 73211009 OR << 38341003)) or 0 in (observation_id) and true'));
    expectRoundTrips(where(`(code in << 73211009 |Diabetes mellitus|) and ${'value_numeric > 1 and '.repeat(6)}1 < value_numeric`));
  });

  it('texts with lines of only spaces or tabs (written double-quoted, on one line)', () => {
    for (const text of [' \n', '  \n', '\n \n', 'a\n \nb', ' \t\n', `${'word '.repeat(30)}\r\n \n`, '\n \n\t\n  x']) {
      expectRoundTrips({ ...baseDocument(), title: text, intended_use: text, legal_basis: { statement: text } });
    }
  });

  it('a negated negation (-(-x), not --x, which starts a comment)', () => {
    expectRoundTrips(where('-(-value_numeric) > - -1'));
  });
});
