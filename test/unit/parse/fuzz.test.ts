import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import type { Diagnostic } from '../../../src/diagnostics/diagnostic.js';
import { parseDefinitionText } from '../../../src/parse/parse-definition.js';
import { resolveDefinition } from '../../../src/resolve/resolve-definition.js';
import { resources } from '../../../src/resources.js';
import { positionAt, type SourceFile, type Span } from '../../../src/source/source-file.js';

/**
 * Robustness of the front end: random and mutated inputs, each parsed as both syntaxes (and
 * resolved when it parses cleanly), never throw, and every diagnostic they produce is complete
 * and points inside the text.
 *
 * Inputs come from a seeded PRNG: input #i of a generator depends only on the base seed, the
 * generator and i. A failure names all three and shows the input; rerun with
 * EXDEF_FUZZ_SEED=<seed>.
 *
 * Sized by count with a time budget, never racing a timeout: in `npm test` each generator runs its
 * inputs in order until the plan's count (10,000 in all) or its budget of this process's CPU time
 * is reached (CPU time, not wall-clock: a machine busy with other work runs the same inputs, only
 * later), and must
 * have run at least its minimum (a quarter of the count) — a machine too slow for that fails
 * with the count, not a timeout. Long mode: EXDEF_FUZZ_SCALE=<factor> runs factor × 50,000 inputs
 * with no budget (EXDEF_FUZZ_SCALE=1 is the full 50,000).
 */

const BASE_SEED = process.env['EXDEF_FUZZ_SEED'] !== undefined ? Number(process.env['EXDEF_FUZZ_SEED']) : 0x5eed_2026;
const LONG = process.env['EXDEF_FUZZ_SCALE'] !== undefined;
/** Share of the plan's 50,000 inputs: a fifth in `npm test`, any factor in long mode. */
const SCALE = LONG ? Number(process.env['EXDEF_FUZZ_SCALE']) : 0.2;
/** No new input is started after this much CPU time per generator in `npm test` (none in long mode). */
const BUDGET_MS = LONG ? Number.POSITIVE_INFINITY : 20_000;
/** Of the scaled count, the share that must have run within the budget. */
const MIN_SHARE = 0.25;

const catalogue = referenceCatalogue();

// ------------------------------------------------------------------ deterministic randomness

/** sfc32, seeded from a string via a 32-bit FNV-1a hash. */
class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string) {
    let h = 0x811c9dc5;
    const next = () => {
      for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193);
      h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
      return h >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next() | 1;
    for (let i = 0; i < 12; i++) this.float();
  }

  float(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

// ------------------------------------------------------------------ vocabulary

const SOURCES = readdirSync(resources.definitions)
  .filter((f) => f.endsWith('.exdef') || f.endsWith('.exdef.yaml'))
  .sort()
  .map((name) => ({ name, text: readFileSync(join(resources.definitions, name), 'utf8') }));

const KEYWORDS = (
  'and or not in is null between exists where true false interval minus select from join as justify ' +
  'exdef extract version title owner contact governance use case care intended legal basis article statement notice dpia singling out ' +
  'linkability reviewed by processing population registration justified deceased type1 national opt back on off practices mode schedule ' +
  'window output csv delimiter quote header line ending layout encrypt to deliver none sftp host port user directory key dataset exemption ' +
  'for set fields justification expires description date approval'
).split(' ');

const NAMES = [
  'patient', 'observation', 'referral', 'medication_issue', 'appointment', 'consultation', 'registration', 'practice', 'document', 'opt_out',
  'concept', 'code', 'effective_date', 'date_of_birth', 'nhs_number', 'sex', 'postcode', 'comment', 'content', 'pds_sensitive', 'confidential',
  'current_registration', 'observations', 'registrations', 'practice_ods', 'value_numeric', 'dmd_code', 'updated_at', 'p', 'o', 'x',
  'year', 'month', 'age_years', 'age_band', 'postcode_district', 'pseudonym', 'coalesce', 'lower', 'upper', 'round', 'abs', 'date_of', 'today',
  'targeted_reporting', 'data_warehouse', 'record_viewer', 'direct', 'indirect', 'permanent', 'all', 'exclude', 'include', 'respect',
  'override', 'not_applicable', 'no_backfill', 'backfill', 'full', 'delta', 'daily', 'hourly', 'weekly', 'crlf', 'lf', 'single_zip',
  'per_practice', 'uk', 'elsewhere', 'A81001', 'hiv_sti', 'chis-immunisations', 'free-text-and-documents',
];

const PUNCTUATION = [';', ',', '.', '(', ')', '<<', '<', '<=', '>', '>=', '=', '<>', '!=', '^', '+', '-', '*', '/', '|', '--', '/*', '*/', "'", '"', '\\', ':', '?', '!', '@', '#', '$', '%', '&', '[', ']', '{', '}', '~', '`'];

const LITERALS = [
  "'text'", "''", "'it''s'", "'unterminated", '"name"', '""', '"select"', '"unterminated', '73211009', '73211008', '0', '007', '1.5', '1.', '.5',
  '99999999999999999999999', '2026-01-01', '2026-02-30', '2026-13-45', "date '2026-01-01'", "date 'nope'", "interval '12 months'", "interval 'x'",
  '01:00-05:00', '25:99-00:00', '|Diabetes mellitus|', '|', '<< 73211009 |Diabetes mellitus|', '^ 999900021000000103', '999004381000000103',
  'exists(observation where code in << 73211009)', 'exists(', 'age_years(date_of_birth)', 'pseudonym(nhs_number, \'k\')', 'today()',
];

const WHITESPACE = [' ', ' ', ' ', '  ', '\n', '\n', '\r\n', '\t', '\n  ', '\n    - ', '\f', '\u00a0', '\u2028'];

/** Tokens the mutations insert: what is most likely to confuse a lexer, a parser or YAML. */
const INSERTIONS = [
  ';', '(', ')', "'", '"', '<<', '|', '--', '/*', '*/', 'AND', 'OR', 'NOT', 'SELECT', 'WHERE', 'FROM', 'JOIN', 'JUSTIFY', 'AS', 'exists(',
  '\n', '\r', '\r\n', '\t', ' ', ': ', '- ', '---\n', '...\n', '? ', '&a ', '*a', '!!str ', '!!binary ', '!tag ', '{', '}', '[', ']', '#',
  '%YAML 1.2\n', '<<: *a\n', '\u0000', '\ufeff', '\u2028', '\ud800', '\udfff', 'é', '中文', '😀', '\u0301', '9', '2026-01-01', "''", '""',
  '|Term|', '^', '<', 'minus', 'MINUS', 'null', '~', 'true', '1e309', '-', '+', '*', '/', ',', '.', '=', '<>', 'EXDEF 2;', 'DATASET',
];

// ------------------------------------------------------------------ generators

type Generator = (random: Random) => string;

function randomUnicode(random: Random): string {
  switch (random.int(6)) {
    case 0:
      return String.fromCharCode(random.int(0x20));
    case 1:
      return String.fromCharCode(0x20 + random.int(0x5f));
    case 2:
      return String.fromCharCode(0xa0 + random.int(0xd7ff - 0xa0));
    case 3:
      return String.fromCodePoint(0x10000 + random.int(0x10ffff - 0x10000));
    case 4:
      // A lone surrogate: not valid text, but a string can hold it.
      return String.fromCharCode(0xd800 + random.int(0x800));
    default:
      return random.pick(['\n', '\r', '\t', '\u2028', '\u2029', '\u0085', '\ufeff', '\ufffe', '\u200b']);
  }
}

/** (a) Character- and line-level mutations of the six example definitions. */
const mutateText: Generator = (random) => {
  let text = random.pick(SOURCES).text;
  const steps = 1 + random.int(random.chance(0.2) ? 12 : 4);
  for (let s = 0; s < steps && text.length > 0; s++) {
    const at = random.int(text.length + 1);
    const length = 1 + random.int(random.chance(0.8) ? 4 : 60);
    switch (random.int(9)) {
      case 0: // delete
        text = text.slice(0, at) + text.slice(at + length);
        break;
      case 1: // duplicate
        text = text.slice(0, at) + text.slice(at, at + length) + text.slice(at);
        break;
      case 2: {
        // swap two ranges
        const other = random.int(text.length + 1);
        const [i, j] = at < other ? [at, other] : [other, at];
        if (j - i > length) text = text.slice(0, i) + text.slice(j, j + length) + text.slice(i + length, j) + text.slice(i, i + length) + text.slice(j + length);
        break;
      }
      case 3:
      case 4: // insert a token
        text = text.slice(0, at) + random.pick(INSERTIONS) + text.slice(at);
        break;
      case 5: // insert random unicode
        text = text.slice(0, at) + Array.from({ length: 1 + random.int(3) }, () => randomUnicode(random)).join('') + text.slice(at);
        break;
      case 6: // truncate
        text = text.slice(0, at);
        break;
      case 7: {
        // shuffle some lines
        const lines = text.split('\n');
        for (let k = 0; k < 1 + random.int(4); k++) {
          const a = random.int(lines.length);
          const b = random.int(lines.length);
          [lines[a], lines[b]] = [lines[b]!, lines[a]!];
        }
        text = lines.join('\n');
        break;
      }
      default: {
        // re-indent or replace a word
        if (random.chance(0.5)) {
          const lines = text.split('\n');
          const k = random.int(lines.length);
          lines[k] = random.chance(0.5) ? ` ${lines[k]}` : lines[k]!.replace(/^\s/, random.pick(['', '\t']));
          text = lines.join('\n');
        } else {
          text = text.replace(/[A-Za-z_]+/g, (word) => (random.chance(0.05) ? random.pick([...KEYWORDS, ...NAMES, word.toUpperCase()]) : word));
        }
      }
    }
  }
  return text;
};

/** A few tokens of the language, as an expression-ish string. */
function soup(random: Random, count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = random.float();
    if (r < 0.3) parts.push(random.pick(KEYWORDS));
    else if (r < 0.55) parts.push(random.pick(NAMES));
    else if (r < 0.8) parts.push(random.pick(PUNCTUATION));
    else parts.push(random.pick(LITERALS));
    parts.push(random.chance(0.85) ? random.pick(WHITESPACE.slice(0, 4)) : random.pick(WHITESPACE));
  }
  return parts.join('');
}

/**
 * A grammatical expression over random names, functions and literals (mostly wrong for the
 * catalogue): it parses, so the resolver's checks get exercised.
 */
function randomExpression(random: Random, depth: number): string {
  const leaf = () =>
    random.pick<() => string>([
      () => random.pick(NAMES),
      () => `${random.pick(NAMES)}.${random.pick(NAMES)}`,
      () => `${random.pick(NAMES)}.${random.pick(NAMES)}.${random.pick(NAMES)}`,
      () => String(random.int(1e6)),
      () => random.pick(['73211009', '73211008', '0', '1.5', '999999999999999999999', '12345678901234567890123']),
      () => random.pick(["'text'", "''", "'female'", "'k'", 'true', 'false', 'null', "date '2026-01-01'", "date '2026-02-30'", '2026-01-01']),
      () => `interval '${random.pick(['12 months', '2 years', '1 fortnight', '', '99999 days', '3 DAYS 4 hours'])}'`,
    ])();
  if (depth <= 0) return leaf();
  const sub = () => randomExpression(random, depth - 1);
  const ecl = (): string =>
    random.pick<() => string>([
      () => random.pick(['<< 73211009 |Diabetes|', '< 38341003', '^ 999900021000000103', '73211009', '<< 12345', '^ 73211009']),
      () => `(<< 38341003 ${random.pick(['OR', 'AND', 'MINUS'])} << 195967001)`,
      () => `<< 73211009 ${random.pick(['OR', 'AND', 'MINUS'])} << 195967001 ${random.pick(['OR', 'AND', 'MINUS'])} 59621000`,
    ])();
  return random.pick<() => string>([
    leaf,
    () => `${sub()} ${random.pick(['and', 'or', '=', '<>', '<', '>=', '+', '-', '*', '/'])} ${sub()}`,
    () => `not ${sub()}`,
    () => `-${sub()}`,
    () => `(${sub()})`,
    () => `${random.pick(NAMES)}(${Array.from({ length: random.int(4) }, sub).join(', ')})`,
    () => `exists(${random.pick(NAMES)}${random.chance(0.7) ? ` where ${sub()}` : ''})`,
    () => `${sub()} ${random.chance(0.3) ? 'not ' : ''}in (${Array.from({ length: 1 + random.int(3) }, sub).join(', ')})`,
    () => `${sub()} ${random.chance(0.3) ? 'not ' : ''}in ${ecl()}`,
    () => `${sub()} between ${sub()} and ${sub()}`,
    () => `${sub()} is ${random.chance(0.5) ? 'not ' : ''}null`,
  ])();
}

/** (a) Structural mutations that keep YAML valid, so schema checks and the resolver are reached. */
const mutateDocument: Generator = (random) => {
  const yamlSources = SOURCES.filter((s) => s.name.endsWith('.yaml'));
  const document = parseYaml(random.pick(yamlSources).text) as Record<string, unknown>;
  if (random.chance(0.5)) {
    // Only the expressions change: the schema still holds, the resolver reads them.
    const population = document['population'] as Record<string, unknown>;
    const datasets = document['datasets'] as Record<string, unknown>[];
    const set = (target: Record<string, unknown>, key: string) => {
      const old = typeof target[key] === 'string' ? (target[key] as string) : 'true';
      target[key] = random.pick<() => string>([
        () => randomExpression(random, 1 + random.int(4)),
        () => `${old} ${random.pick(['and', 'or'])} ${randomExpression(random, 2)}`,
        () => old.replace(/[A-Za-z_]+|\d+/, () => random.pick([...NAMES, '0', '73211008'])),
      ])();
    };
    for (let s = 0; s < 1 + random.int(3); s++) {
      const dataset = random.pick(datasets);
      const fields = dataset['fields'] as Record<string, unknown>[];
      random.pick<() => void>([() => set(population, 'where'), () => set(dataset, 'where'), () => set(random.pick(fields), 'value')])();
    }
    return stringify(document);
  }
  const steps = 1 + random.int(3);
  const randomValue = (): unknown =>
    random.pick<() => unknown>([
      () => soup(random, 1 + random.int(12)),
      () => random.int(1e6) - 5,
      () => random.chance(0.5),
      () => null,
      () => [],
      () => ({}),
      () => [soup(random, 2)],
      () => ({ [random.pick(NAMES)]: soup(random, 2) }),
      () => random.pick(LITERALS),
      () => random.pick(NAMES),
      () => 'x'.repeat(random.int(300)),
    ])();
  for (let s = 0; s < steps; s++) {
    // Walk to a random node of the document.
    let parent: Record<string, unknown> | unknown[] = document;
    for (let depth = 0; depth < 5; depth++) {
      const keys: (string | number)[] = Array.isArray(parent) ? parent.map((_, i) => i) : Object.keys(parent);
      if (keys.length === 0) break;
      const key = random.pick(keys);
      const child = (parent as Record<string | number, unknown>)[key];
      if (child && typeof child === 'object' && random.chance(0.7)) {
        parent = child as Record<string, unknown> | unknown[];
        continue;
      }
      switch (random.int(4)) {
        case 0:
          (parent as Record<string | number, unknown>)[key] = randomValue();
          break;
        case 1:
          if (Array.isArray(parent)) parent.splice(key as number, 1);
          else delete parent[key as string];
          break;
        case 2:
          if (Array.isArray(parent)) parent.push(structuredClone(child));
          else parent[random.pick([...KEYWORDS, ...NAMES])] = randomValue();
          break;
        default:
          // An expression, a name or a text made of the language's tokens.
          (parent as Record<string | number, unknown>)[key] = typeof child === 'string' && random.chance(0.5) ? `${child} ${soup(random, 1 + random.int(4))}` : soup(random, 1 + random.int(8));
      }
      break;
    }
  }
  return stringify(document, { lineWidth: random.pick([0, 80]) });
};

/** (b) Token soup: statements of the exdef language (or YAML lines) made of its own vocabulary. */
const tokenSoup: Generator = (random) => {
  switch (random.int(4)) {
    case 0:
      return soup(random, 1 + random.int(random.chance(0.2) ? 400 : 60));
    case 1: {
      // Statement-shaped: a statement keyword, soup, a semicolon.
      const statements = ['EXDEF', 'EXTRACT', 'GOVERNANCE', 'POPULATION', 'MODE', 'SCHEDULE', 'OUTPUT', 'DATASET x AS SELECT', 'EXEMPTION FROM'];
      return Array.from({ length: 1 + random.int(8) }, () => `${random.pick(statements)} ${soup(random, random.int(20))}${random.chance(0.9) ? ';' : ''}\n`).join('');
    }
    case 2: {
      // A valid exdef file with one expression replaced by soup or by a random expression.
      const source = random.pick(SOURCES.filter((s) => s.name.endsWith('.exdef'))).text;
      if (random.chance(0.5)) {
        const wheres = [...source.matchAll(/WHERE [^;]*;/g)];
        if (wheres.length > 0) {
          const where = random.pick(wheres);
          return `${source.slice(0, where.index)}WHERE ${randomExpression(random, 1 + random.int(4))};${source.slice(where.index + where[0].length)}`;
        }
      }
      const spots = [...source.matchAll(/WHERE |JUSTIFY |SELECT\n {2}/g)];
      const spot = random.pick(spots);
      const at = spot.index + spot[0].length;
      const inserted = random.chance(0.5) ? soup(random, 1 + random.int(15)) : randomExpression(random, 1 + random.int(4));
      return source.slice(0, at) + inserted + source.slice(at + random.int(40));
    }
    default: {
      // YAML-ish lines made of the schema's keys and the language's tokens.
      const keys = ['exdef', 'id', 'title', 'version', 'owner', 'population', 'where', 'datasets', 'fields', 'value', 'name', 'from', 'justification', 'output', 'csv'];
      return Array.from({ length: 1 + random.int(30) }, () => `${' '.repeat(random.int(4) * 2)}${random.chance(0.3) ? '- ' : ''}${random.pick(keys)}:${random.chance(0.8) ? ` ${soup(random, random.int(5))}` : ''}`).join('\n');
    }
  }
};

/** (c) Random strings: ASCII, control characters, any code point, lone surrogates. */
const randomString: Generator = (random) => {
  const length = random.chance(0.1) ? random.int(5_000) : random.int(300);
  const alphabet = random.int(4);
  let text = '';
  for (let i = 0; i < length; i++) {
    if (alphabet === 0) text += String.fromCharCode(0x20 + random.int(0x5f));
    else if (alphabet === 1) text += random.chance(0.8) ? String.fromCharCode(0x20 + random.int(0x5f)) : randomUnicode(random);
    else if (alphabet === 2) text += String.fromCharCode(random.int(0x10000));
    else text += random.pick([...PUNCTUATION, ...WHITESPACE, 'a', '1', ':', '- ']);
  }
  return text;
};

/** Inputs that the generators might not hit: empty and multi-document files, YAML features, deep nesting. */
const EDGE_CASES: string[] = [
  '', ' ', '\n', '\ufeff', '\ufeff\n', '---', '---\n', '---\n---\n', '...', '---\n...\n', 'a: 1\n---\nb: 2\n', 'exdef: 1\n---\nexdef: 1\n',
  '%YAML 1.2\n---\n', '%YAML 1.1\n---\nexdef: 1\n', '%TAG ! tag:example.com,2000:\n---\n!foo x\n', '!!binary aGVsbG8=', '!!str', '&a [*a]', '*a',
  'a: &x 1\nb: *x\n', 'base: &b {exdef: 1}\n<<: *b\n', '? complex\n: key\n', '[', ']', '{', '}', '"', "'", '-', ':', '#', '# only a comment\n',
  'null', '~', '[]', '{}', '0', 'true', '"text"', '- a\n- b\n', 'exdef: 1', 'exdef: 1\nexdef: 1\n', '\t- a', 'a:\n\t- b', 'a: [1, 2',
  `a: &a [${'x, '.repeat(50)}]\nb: [${'*a, '.repeat(200)}]\n`, '-- only a comment', '/* unterminated', "'unterminated", '"unterminated', ';', ';;;',
  'EXDEF 1;', 'EXDEF;', 'SELECT * FROM patient;', 'DATASET x AS SELECT * FROM patient;', 'DATASET x AS SELECT', 'EXTRACT', 'EXTRACT a - b;',
  'EXTRACT "";', 'POPULATION WHERE;', 'POPULATION WHERE ((((((;', `POPULATION WHERE ${'('.repeat(200)}1${')'.repeat(200)};`,
  `POPULATION WHERE ${'not '.repeat(300)}true;`, `POPULATION WHERE ${'-'.repeat(300)}1;`, `POPULATION WHERE code in ${'('.repeat(100)}<< 1${')'.repeat(100)};`,
  `${'['.repeat(500)}${']'.repeat(500)}`, `${'- '.repeat(300)}x`, `datasets: [${'{a: '.repeat(200)}1${'}'.repeat(200)}]`,
  `population:\n  where: ${'('.repeat(300)}true${')'.repeat(300)}\n`, `population:\n  where: ${'a and '.repeat(1000)}b\n`,
  `population:\n  where: "${'\\u0000'.repeat(20)}"\n`, 'population:\n  where: |\n    code in << 73211009\n    and\n', 'population:\n  where: >\n\n\n',
  `population:\n  where: "${'\\n'.repeat(50)}("\n`, 'population:\n  where: \'\'\n', 'population:\n  where: 5\n', 'population:\n  where: [a]\n',
  'datasets:\n  - fields:\n      - value: ""\n', '\r\r\r', '\r\nexdef: 1\r\n', 'a\u2028b: c', 'x'.repeat(100_000),
];

// ------------------------------------------------------------------ the checks

interface Failure {
  where: string;
  problem: string;
  text: string;
}

function spanProblem(span: Span | undefined, file: SourceFile, path: string): string | undefined {
  if (!span) return 'has no span';
  const { start, end } = span;
  if (span.file !== path) return `names file ${JSON.stringify(span.file)}`;
  for (const [name, p] of [['start', start], ['end', end]] as const) {
    if (!Number.isInteger(p.line) || p.line < 1 || !Number.isInteger(p.column) || p.column < 1) return `${name} is at ${p.line}:${p.column}`;
    if (!Number.isInteger(p.offset) || p.offset < 0 || p.offset > file.text.length) return `${name} offset ${p.offset} is outside the text (length ${file.text.length})`;
    const expected = positionAt(file, p.offset);
    if (expected.line !== p.line || expected.column !== p.column) return `${name} says ${p.line}:${p.column} but offset ${p.offset} is ${expected.line}:${expected.column}`;
  }
  if (end.offset < start.offset) return `ends (${end.offset}) before it starts (${start.offset})`;
  return undefined;
}

function diagnosticProblems(diagnostics: readonly Diagnostic[], file: SourceFile, path: string): string[] {
  const problems: string[] = [];
  for (const d of diagnostics) {
    const label = `diagnostic ${JSON.stringify(d.code)} (${JSON.stringify(d.message)})`;
    if (typeof d.code !== 'string' || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(d.code)) problems.push(`${label} has no proper code`);
    if (d.severity !== 'error' && d.severity !== 'warning' && d.severity !== 'info') problems.push(`${label} has severity ${String(d.severity)}`);
    if (typeof d.message !== 'string' || d.message.trim() === '') problems.push(`${label} has no message`);
    const span = spanProblem(d.span, file, path);
    if (span) problems.push(`${label} ${span}`);
  }
  return problems;
}

/** How far inputs got, by generator and syntax (printed with EXDEF_FUZZ_STATS=1). */
const stats = new Map<string, { inputs: number; parsed: number; resolved: number; codes: Map<string, number> }>();
let currentGenerator = 'edge';

/** Runs one input through the front end as both syntaxes; what went wrong, if anything. */
function exercise(text: string): string[] {
  const problems: string[] = [];
  for (const path of ['f.exdef.yaml', 'f.exdef']) {
    let stage = 'parseDefinitionText';
    const key = `${currentGenerator} ${path}`;
    const stat = stats.get(key) ?? { inputs: 0, parsed: 0, resolved: 0, codes: new Map<string, number>() };
    stats.set(key, stat);
    stat.inputs++;
    try {
      const parsed = parseDefinitionText(path, text);
      problems.push(...diagnosticProblems(parsed.diagnostics, parsed.file, path).map((p) => `${path} parse: ${p}`));
      for (const d of parsed.diagnostics) stat.codes.set(d.code, (stat.codes.get(d.code) ?? 0) + 1);
      if (parsed.diagnostics.some((d) => d.severity === 'error')) continue;
      stat.parsed++;
      if (!parsed.document) problems.push(`${path}: no error diagnostics, but no document either`);
      stage = 'resolveDefinition';
      const resolved = resolveDefinition(parsed, catalogue);
      for (const d of resolved.diagnostics.slice(parsed.diagnostics.length)) stat.codes.set(d.code, (stat.codes.get(d.code) ?? 0) + 1);
      if (resolved.definition) stat.resolved++;
      problems.push(...diagnosticProblems(resolved.diagnostics, parsed.file, path).map((p) => `${path} resolve: ${p}`));
      const errors = resolved.diagnostics.some((d) => d.severity === 'error');
      if (!errors && !resolved.definition) problems.push(`${path}: resolved without errors but without a definition`);
      if (errors && resolved.definition) problems.push(`${path}: resolved with errors but still gave a definition`);
    } catch (error) {
      problems.push(`${path}: ${stage} threw ${error instanceof Error ? (error.stack ?? error.message).split('\n').slice(0, 6).join('\n') : String(error)}`);
    }
  }
  return problems;
}

function shown(text: string): string {
  const json = JSON.stringify(text);
  return json.length > 4_000 ? `${json.slice(0, 4_000)}… (${text.length} characters)` : json;
}

/** CPU time this process has used (all its threads), in ms. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function runGenerator(name: string, generator: Generator, total: number, budgetMs: number): { failures: Failure[]; ran: number } {
  currentGenerator = name;
  const failures: Failure[] = [];
  const started = cpuMs();
  let i = 0;
  for (; i < total && cpuMs() - started < budgetMs; i++) {
    const text = generator(new Random(`${BASE_SEED}:${name}:${i}`));
    const problems = exercise(text);
    if (problems.length > 0) failures.push({ where: `${name} #${i} (EXDEF_FUZZ_SEED=${BASE_SEED})`, problem: problems.join('\n'), text });
  }
  return { failures, ran: i };
}

function report(failures: Failure[]): string {
  return failures
    .slice(0, 10)
    .map((f) => `${f.where}:\n${f.problem}\ninput: ${shown(f.text)}`)
    .join('\n\n');
}

// ------------------------------------------------------------------ the runs

/** 50,000 inputs in all at scale 1: 25,000 mutations, 15,000 token soups, 10,000 random strings. */
const PLAN: { name: string; generator: Generator; count: number; description: string }[] = [
  { name: 'mutated-text', generator: mutateText, count: 15_000, description: 'character and line mutations of the example definitions' },
  { name: 'mutated-document', generator: mutateDocument, count: 10_000, description: 'structural and expression mutations of the example YAML documents' },
  { name: 'token-soup', generator: tokenSoup, count: 15_000, description: "token soup from the language's keywords, names, literals and punctuation" },
  { name: 'random-string', generator: randomString, count: 10_000, description: 'random strings' },
];

describe('the front end never crashes and always gives complete diagnostics (fuzz)', () => {
  afterAll(() => {
    if (process.env['EXDEF_FUZZ_STATS'] === undefined) return;
    for (const [key, s] of stats) {
      const codes = [...s.codes].sort((a, b) => b[1] - a[1]).map(([code, n]) => `${code}:${n}`).join(' ');
      console.log(`${key}: ${s.inputs} inputs, ${s.parsed} parsed cleanly, ${s.resolved} resolved\n  ${codes}`);
    }
  });

  it('the example definitions are clean in both syntaxes (the mutations start from valid files)', () => {
    expect(SOURCES.length).toBeGreaterThanOrEqual(6);
    for (const source of SOURCES) {
      const parsed = parseDefinitionText(source.name, source.text);
      expect(resolveDefinition(parsed, catalogue).diagnostics.filter((d) => d.severity === 'error'), source.name).toEqual([]);
    }
  });

  it(`edge cases: empty, multi-document, YAML features, deep nesting (${EDGE_CASES.length} inputs)`, () => {
    const failures: Failure[] = [];
    EDGE_CASES.forEach((text, i) => {
      const problems = exercise(text);
      if (problems.length > 0) failures.push({ where: `edge case #${i}`, problem: problems.join('\n'), text });
    });
    expect(failures, report(failures)).toEqual([]);
  });

  for (const { name, generator, count, description } of PLAN) {
    const total = Math.round(count * SCALE);
    const minimum = Math.ceil(total * MIN_SHARE);
    it(
      `${description}: ${total} inputs${LONG ? '' : ` (at least ${minimum} within ${BUDGET_MS / 1000} s of CPU time)`}`,
      () => {
        const { failures, ran } = runGenerator(name, generator, total, BUDGET_MS);
        expect(failures.length, `${failures.length} of ${ran} inputs failed; the first ones:\n\n${report(failures)}`).toBe(0);
        expect(ran, `only ${ran} of ${total} inputs ran within the ${BUDGET_MS / 1000} s budget of CPU time (at least ${minimum} must)`).toBeGreaterThanOrEqual(minimum);
        if (ran < total) console.log(`fuzz ${name}: ${ran} of ${total} inputs within the budget`);
      },
      LONG ? 24 * 3_600_000 : BUDGET_MS + 60_000,
    );
  }
});
