/**
 * Random extract definitions drawn from the catalogue (fast-check), for the differential test of
 * issue 11: a use case and care type, population options (with their justifications where the
 * policy asks for one), a subset of the seeded practices, a population filter, one to three
 * datasets from any selectable table, fields read through to-one relation paths (with year,
 * month, age_band, postcode_district and pseudonym), filters of comparisons, and/or/not, ECL code
 * sets and exists() over to-many relations at depth one or two (through to-one paths too, as in
 * exists(registrations where exists(patient.observations ...)) from practice).
 *
 * It writes what an author could write, honest or not: many definitions are refused by lint, and
 * only those that lint clean are run. Types are respected where the generator knows them, so that
 * most refusals are the policy's, not the type checker's.
 */
import fc from 'fast-check';
import type { Catalogue, CatalogueColumn, CatalogueTable } from '../../../src/catalogue/catalogue.js';
import { findTable } from '../../../src/catalogue/catalogue.js';
import { definitionYaml, JUSTIFICATIONS, type DatasetText, type DefinitionText, type FieldText, type PopulationText } from './definition-text.js';

/** Tables a dataset may be drawn from (control and document tables too, less often: lint must refuse or guard them). */
const DATASET_TABLES: [string, number][] = [
  ['patient', 6],
  ['observation', 6],
  ['medication_issue', 3],
  ['referral', 3],
  ['appointment', 3],
  ['consultation', 3],
  ['registration', 3],
  ['practice', 3],
  ['document', 1],
  ['opt_out', 1],
];

/** SNOMED CT concepts of the sample terminology the seed records under, with their hierarchy tops. */
const CONCEPTS = [
  '73211009 |Diabetes mellitus|',
  '44054006 |Type 2 diabetes mellitus|',
  '38341003 |Hypertensive disorder|',
  '195967001 |Asthma|',
  '13645005 |Chronic obstructive lung disease|',
  '75367002 |Blood pressure|',
  '43396009 |Hemoglobin A1c measurement|',
  '86198006 |Influenza vaccination|',
  '38598009 |Measles-mumps-rubella vaccination|',
  '171149006 |Screening for malignant neoplasm of cervix|',
  '77176002 |Smoker|',
  '363346000 |Malignant neoplastic disease|',
  '60621009 |Body mass index|',
];
const MEDICATIONS = ['999900151000000109', '999900161000000107', '999900171000000100', '999900211000000102'];

export interface GeneratorSettings {
  catalogue: Catalogue;
  /** The seeded practices a definition may name. */
  practices: string[];
  /** The run's --today: the review date is a month before it. */
  today: string;
}

/** A column reachable from a table through to-one relations: its path and where it comes from. */
interface Reachable {
  path: string;
  column: CatalogueColumn;
  table: CatalogueTable;
}

/** A to-many relation reachable from a table (through to-one relations): exists(path where ...). */
interface ManyRelation {
  path: string;
  target: CatalogueTable;
}

function reachable(catalogue: Catalogue, table: CatalogueTable, depth: number, prefix = ''): Reachable[] {
  const own = table.columns.map((column) => ({ path: `${prefix}${column.name}`, column, table }));
  if (depth === 0) return own;
  const through = table.relations
    .filter((r) => r.cardinality === 'one')
    .flatMap((r) => reachable(catalogue, findTable(catalogue, r.to)!, depth - 1, `${prefix}${r.name}.`));
  return [...own, ...through];
}

function manyRelations(catalogue: Catalogue, table: CatalogueTable, depth: number, prefix = ''): ManyRelation[] {
  const own = table.relations.filter((r) => r.cardinality === 'many').map((r) => ({ path: `${prefix}${r.name}`, target: findTable(catalogue, r.to)! }));
  if (depth === 0) return own;
  return [
    ...own,
    ...table.relations.filter((r) => r.cardinality === 'one').flatMap((r) => manyRelations(catalogue, findTable(catalogue, r.to)!, depth - 1, `${prefix}${r.name}.`)),
  ];
}

type Gen = fc.GeneratorValue;

class Drawer {
  constructor(private readonly g: Gen) {}
  int(min: number, max: number): number {
    return this.g(fc.integer, { min, max });
  }
  chance(p: number): boolean {
    return this.int(0, 999) < p * 1000;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }
  weighted<T>(items: readonly [T, number][]): T {
    const total = items.reduce((n, [, w]) => n + w, 0);
    let x = this.int(0, total - 1);
    for (const [item, w] of items) {
      if (x < w) return item;
      x -= w;
    }
    return items[0]![0];
  }
  subset<T>(items: readonly T[], min = 1): T[] {
    for (;;) {
      const chosen = items.filter(() => this.chance(0.5));
      if (chosen.length >= min) return chosen;
    }
  }
}

/** Columns no honest field reads (the policy refuses them): drawn rarely, to check they are refused. */
const FORBIDDEN = new Set(['free_text', 'document', 'control']);

class DefinitionDrawer {
  private justification = 0;
  private fieldCount = 0;

  constructor(
    private readonly d: Drawer,
    private readonly s: GeneratorSettings,
    private readonly careType: 'direct' | 'indirect',
  ) {}

  table(name: string): CatalogueTable {
    return findTable(this.s.catalogue, name)!;
  }

  /** A comparison a filter could make on a column (undefined when the generator knows none). */
  comparison(r: Reachable): string | undefined {
    const c = r.column;
    const p = r.path;
    if (c.codeSystem === 'snomed') {
      return this.d.weighted<() => string>([
        [() => `${p} in << ${this.d.pick(CONCEPTS)}`, 5],
        [() => `${p} in (<< ${this.d.pick(CONCEPTS)} OR << ${this.d.pick(CONCEPTS)})`, 2],
        [() => `${p} in (<< ${this.d.pick(CONCEPTS)} MINUS << ${this.d.pick(CONCEPTS)})`, 1],
        [() => `${p} = ${this.d.pick(CONCEPTS).split(' ')[0]}`, 1],
        [() => `${p} not in << ${this.d.pick(CONCEPTS)}`, 1],
      ])();
    }
    if (c.codeSystem === 'dmd') return this.d.chance(0.7) ? `${p} = ${this.d.pick(MEDICATIONS)}` : `${p} in (${this.d.subset(MEDICATIONS).join(', ')})`;
    if (c.values?.length) {
      return this.d.chance(0.7) ? `${p} ${this.d.pick(['=', '<>'])} '${this.d.pick(c.values)}'` : `${p} in (${this.d.subset(c.values).map((v) => `'${v}'`).join(', ')})`;
    }
    switch (c.type) {
      case 'date':
      case 'timestamptz':
        if (c.name === 'date_of_birth') return `age_years(${p}) ${this.d.pick(['between 18 and 64', 'between 0 and 19', '>= 65', '< 40'])}`;
        return this.d.pick([
          `${p} >= today() - interval '${this.d.pick(['3 months', '12 months', '2 years', '5 years'])}'`,
          `${p} < date '${this.d.pick(['2020-01-01', '2025-06-30', '2026-10-01'])}'`,
          `${p} is ${this.d.pick(['', 'not '])}null`,
          `year(${p}) = ${this.d.int(2016, 2026)}`,
        ]);
      case 'numeric':
      case 'integer':
        return this.d.pick([`${p} > ${this.d.int(0, 60)}`, `${p} between ${this.d.int(0, 20)} and ${this.d.int(21, 200)}`, `${p} is not null`, `round(${p}) = ${this.d.int(1, 60)}`]);
      case 'boolean':
        return this.d.pick([p, `not ${p}`]);
      case 'text':
        if (c.format === 'postcode') return `postcode_district(${p}) = '${this.d.pick(['TS1', 'TS3', 'TS5', 'TS7'])}'`;
        if (c.nullable) return `${p} is ${this.d.pick(['', 'not '])}null`;
        if (c.name.endsWith('_ods') || c.name === 'ods_code') return `${p} ${this.d.pick(['=', '<>'])} '${this.d.pick([...this.s.practices, 'Z99999'])}'`;
        return `${p} <> ''`;
      default:
        return undefined;
    }
  }

  /** A true/false expression on rows of `table`, nested up to `depth` (exists() spends a level). */
  condition(table: CatalogueTable, depth: number): string {
    const kind = this.d.weighted<'compare' | 'exists' | 'and' | 'or' | 'not'>([
      ['compare', 6],
      ['exists', depth > 0 ? 4 : 0],
      ['and', depth > 0 ? 2 : 0],
      ['or', depth > 0 ? 2 : 0],
      ['not', depth > 0 ? 1 : 0],
    ]);
    switch (kind) {
      case 'exists': {
        const relations = manyRelations(this.s.catalogue, table, 1);
        if (relations.length > 0) {
          const r = this.d.pick(relations);
          return this.d.chance(0.2) ? `exists(${r.path})` : `exists(${r.path} where ${this.condition(r.target, depth - 1)})`;
        }
        return this.compare(table);
      }
      case 'and':
      case 'or':
        return `(${this.condition(table, depth - 1)} ${kind} ${this.condition(table, depth - 1)})`;
      case 'not':
        return `not (${this.condition(table, depth - 1)})`;
      default:
        return this.compare(table);
    }
  }

  compare(table: CatalogueTable): string {
    const columns = reachable(this.s.catalogue, table, 2).filter((r) => !FORBIDDEN.has(r.column.classification) || this.d.chance(0.03));
    for (let i = 0; i < 10; i++) {
      const found = this.comparison(this.d.pick(columns));
      if (found) return found;
    }
    return 'true';
  }

  /** A field's value: a column (generalised or pseudonymised, often) or an exists() test. */
  value(table: CatalogueTable): string {
    if (this.d.chance(0.15)) {
      const relations = manyRelations(this.s.catalogue, table, 1);
      if (relations.length > 0) {
        const r = this.d.pick(relations);
        return `exists(${r.path} where ${this.condition(r.target, this.d.int(0, 2))})`;
      }
    }
    const columns = reachable(this.s.catalogue, table, 2).filter((r) => (!FORBIDDEN.has(r.column.classification) && r.column.classification !== 'system') || this.d.chance(0.03));
    const r = this.d.pick(columns);
    const c = r.column;
    const p = r.path;
    const indirect = this.careType === 'indirect';
    if (c.classification === 'direct_identifier' || c.classification === 'system') {
      if (c.type === 'date' || c.type === 'timestamptz') return `year(${p})`;
      return indirect || this.d.chance(0.3) ? `pseudonym(${p}, 'k')` : p;
    }
    if (c.type === 'date' || c.type === 'timestamptz') {
      const options: [string, number][] = [
        [p, indirect ? 1 : 4],
        [`year(${p})`, 3],
        [`month(${p})`, 2],
      ];
      if (c.name === 'date_of_birth') options.push([`age_band(${p}${this.d.chance(0.5) ? ', 10' : ''})`, 4], [`age_years(${p})`, 1]);
      return this.d.weighted(options);
    }
    if (c.format === 'postcode') return this.d.chance(indirect ? 0.9 : 0.5) ? `postcode_district(${p})` : p;
    if (c.type === 'numeric' && this.d.chance(0.3)) return `round(${p}, 1)`;
    if (c.type === 'text' && this.d.chance(0.1)) return `coalesce(${p}, 'none')`;
    return p;
  }

  field(table: CatalogueTable): FieldText {
    const value = this.value(table);
    const base = value.replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 30) || 'value';
    return { name: `${/^[a-z]/.test(base) ? base : `f_${base}`}_${++this.fieldCount}`, value, justification: JUSTIFICATIONS[this.justification++ % JUSTIFICATIONS.length]! };
  }

  dataset(index: number): DatasetText {
    const table = this.table(this.d.weighted(DATASET_TABLES));
    const fields = Array.from({ length: this.d.int(1, 4) }, () => this.field(table));
    return {
      name: `${table.name}_${index + 1}`,
      from: table.name,
      ...(this.d.chance(0.6) ? { where: this.condition(table, this.d.int(0, 2)) } : {}),
      fields,
    };
  }
}

export interface GeneratedDefinition {
  id: string;
  text: string;
}

/**
 * A batch of random definitions (YAML text) that share a care type and population options — so
 * that excluded data is added once for the batch — and differ in everything else: use case,
 * population filter, mode, layout and datasets. Each may or may not lint clean.
 */
export function batchArbitrary(settings: GeneratorSettings, size: number): fc.Arbitrary<GeneratedDefinition[]> {
  return fc.tuple(fc.gen(), fc.integer({ min: 0, max: 2 ** 31 - 1 })).map(([g, n]) => {
    const d = new Drawer(g);
    const direct = d.chance(0.6);
    const careType = direct ? 'direct' : 'indirect';
    const shared: PopulationText = {
      registration: d.chance(0.7) ? 'permanent' : 'all',
      deceased: d.chance(0.75) ? 'exclude' : 'include',
      // Override is legal for direct care only (without a data provision notice).
      type1: direct && d.chance(0.5) ? 'override' : 'respect',
      ...(d.chance(0.5) ? { nationalOptOut: direct && d.chance(0.6) ? ('not_applicable' as const) : ('respect' as const) } : {}),
      practices: d.subset(settings.practices),
    };
    const reviewed = new Date(Date.parse(`${settings.today}T00:00:00Z`) - 30 * 86_400_000).toISOString().slice(0, 10);
    return Array.from({ length: size }, (_, k): GeneratedDefinition => {
      const drawer = new DefinitionDrawer(d, settings, careType);
      const population = { ...shared };
      if (d.chance(0.4)) population.where = drawer.condition(drawer.table('patient'), d.int(0, 2));
      const id = `generated-${n.toString(36)}-${k + 1}`;
      const definition: DefinitionText = {
        id,
        useCase: direct ? d.pick(['direct_care_planning', 'targeted_reporting'] as const) : d.pick(['data_warehouse', 'targeted_reporting'] as const),
        careType,
        population,
        mode: d.chance(0.2) ? 'delta' : 'full',
        layout: d.chance(0.2) ? 'per_practice' : 'single_zip',
        reviewed,
        datasets: Array.from({ length: d.weighted([[1, 3], [2, 3], [3, 1]]) }, (_, i) => drawer.dataset(i)),
      };
      return { id, text: definitionYaml(definition) };
    });
  });
}
