import { readFileSync } from 'node:fs';
import { readPrebuilt, sourceDigest } from '../assets/prebuilt.js';
import { defineCodes } from '../diagnostics/define-codes.js';
import { hasErrors, type Diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { resources } from '../resources.js';
import { validateYamlAgainstSchema } from '../source/schema-validation.js';
import { sourceFile, spanOf } from '../source/source-file.js';
import { parseYamlSource, spanAtPath, type YamlPath, type YamlSource } from '../source/yaml-source.js';
import {
  findColumn,
  findTable,
  type Catalogue,
  type CatalogueColumn,
  type CatalogueRelation,
  type CatalogueTable,
  type Classification,
  type ColumnType,
  type TableClassification,
} from './catalogue.js';

export const catalogueCodes = defineCodes({
  'catalogue-unreadable': {
    severity: 'error',
    stage: 'catalogue',
    message: (p: { path: string; reason: string }) => `cannot read catalogue ${p.path}: ${p.reason}`,
  },
  'catalogue-unknown-table': {
    severity: 'error',
    stage: 'catalogue',
    message: (p: { table: string; where: string; suggestion: string }) => `${p.where} names table \`${p.table}\`, which the catalogue does not declare${p.suggestion}`,
  },
  'catalogue-unknown-column': {
    severity: 'error',
    stage: 'catalogue',
    message: (p: { table: string; column: string; where: string; suggestion: string }) =>
      `${p.where} names column \`${p.column}\`, which table \`${p.table}\` does not have${p.suggestion}`,
  },
  'catalogue-wrong-column-type': {
    severity: 'error',
    stage: 'catalogue',
    message: (p: { table: string; column: string; role: string; expected: string; actual: string }) =>
      `\`${p.table}.${p.column}\` is the ${p.role} and must be ${p.expected}, not ${p.actual}`,
  },
  'catalogue-wrong-column-class': {
    severity: 'error',
    stage: 'catalogue',
    message: (p: { table: string; column: string; role: string; expected: string; actual: string }) =>
      `\`${p.table}.${p.column}\` is the ${p.role} and must be classified ${p.expected}, not ${p.actual}`,
  },
  'catalogue-join-type-mismatch': {
    severity: 'error',
    stage: 'catalogue',
    message: (p: { relation: string; left: string; right: string; leftType: string; rightType: string }) =>
      `relation \`${p.relation}\` joins \`${p.left}\` (${p.leftType}) to \`${p.right}\` (${p.rightType}); the types must match`,
  },
  'catalogue-confidential-via': {
    severity: 'error',
    stage: 'catalogue',
    message: (p: { table: string; relation: string; reason: string }) => `confidential_via of table \`${p.table}\` names \`${p.relation}\`, ${p.reason}`,
  },
  'catalogue-patient-rows-unscoped': {
    severity: 'error',
    stage: 'catalogue',
    message: (p: { table: string; how: string }) =>
      `table \`${p.table}\` holds rows of patients (${p.how}) but names no patient_column: without one no patient scope applies to its rows (the population, opt-outs, PDS-sensitive patients)`,
  },
  'catalogue-population-relation': {
    severity: 'error',
    stage: 'catalogue',
    message: (p: { relation: string; reason: string }) => `relation \`${p.relation}\` is marked population: ${p.reason}`,
  },
});

/** A catalogue parsed and checked, or the diagnostics that say why it is not usable. */
export interface CatalogueResult {
  catalogue?: Catalogue;
  diagnostics: Diagnostic[];
}

interface RawColumn {
  type: ColumnType;
  class: Classification;
  nullable?: boolean;
  description?: string;
  code_system?: 'snomed' | 'dmd';
  sensitive_terms?: boolean;
  values?: string[];
  format?: 'nhs_number' | 'postcode';
  references?: string;
}
interface RawRelation {
  cardinality: 'one' | 'many';
  table: string;
  on: Record<string, string>;
  population?: boolean;
  description?: string;
}
interface RawTable {
  schema: string;
  description: string;
  class?: TableClassification;
  selectable?: boolean;
  primary_key: string[];
  change_tracking?: string;
  tombstone?: string;
  patient_column?: string;
  practice_column?: string;
  confidential_column?: string;
  confidential_via?: string[];
  indexes?: string[][];
  columns: Record<string, RawColumn>;
  relations?: Record<string, RawRelation>;
}
interface RawCatalogue {
  catalogue: 1;
  name: string;
  description?: string;
  population: {
    patient: { table: string; key: string; pds_sensitive: string; date_of_death: string };
    registration: { table: string; patient: string; practice: string; type: string; permanent_value: string; start: string; end: string };
    opt_out: { table: string; patient: string; type: string; type1_value: string; national_data_opt_out_value: string; from: string; to: string };
  };
  tables: Record<string, RawTable>;
}

let schemaObject: object | undefined;
function catalogueSchema(): object {
  schemaObject ??= JSON.parse(readFileSync(resources.catalogueSchema, 'utf8')) as object;
  return schemaObject;
}

/** Parses and checks catalogue text. `path` is used for messages only. */
export function parseCatalogue(path: string, text: string): CatalogueResult {
  const source = parseYamlSource(sourceFile(path, text));
  if (hasErrors(source.diagnostics)) return { diagnostics: source.diagnostics };
  const schemaDiagnostics = validateYamlAgainstSchema(source, catalogueSchema());
  if (schemaDiagnostics.length > 0) return { diagnostics: [...source.diagnostics, ...schemaDiagnostics] };
  const raw = source.value as RawCatalogue;
  const catalogue = buildCatalogue(path, raw, source);
  const diagnostics = [...source.diagnostics, ...checkCatalogue(catalogue, raw, source)];
  return hasErrors(diagnostics) ? { diagnostics } : { catalogue, diagnostics };
}

/** Loads a catalogue file (the reference catalogue when no path is given). */
export function loadCatalogue(path?: string): CatalogueResult {
  const target = path ?? resources.referenceCatalogue;
  if (path === undefined && referenceCache) return referenceCache;
  let text: string;
  try {
    text = readFileSync(target, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    return { diagnostics: [catalogueCodes.make('catalogue-unreadable', { path: target, reason })] };
  }
  const result = (path === undefined ? prebuiltReference(text) : undefined) ?? parseCatalogue(path ?? 'reference.catalogue.yaml', text);
  if (path === undefined) referenceCache = result;
  return result;
}

let referenceCache: CatalogueResult | undefined;

/**
 * The reference catalogue as the build parsed and checked it (dist/assets), when it was built
 * from exactly this text; otherwise undefined and the YAML is parsed.
 */
function prebuiltReference(text: string): CatalogueResult | undefined {
  const catalogue = readPrebuilt<Catalogue>('reference-catalogue.json', sourceDigest(text), 'catalogue');
  return catalogue ? { catalogue, diagnostics: [] } : undefined;
}

/** The shipped reference catalogue; it is part of exdef, so a problem with it is a bug. */
export function referenceCatalogue(): Catalogue {
  const result = loadCatalogue();
  if (!result.catalogue) {
    throw new Error(`internal: the reference catalogue does not load: ${result.diagnostics.map((d) => d.message).join('; ')}`);
  }
  return result.catalogue;
}

function buildCatalogue(path: string, raw: RawCatalogue, source: YamlSource): Catalogue {
  const tables: CatalogueTable[] = Object.entries(raw.tables).map(([name, t]) => {
    const columns: CatalogueColumn[] = Object.entries(t.columns).map(([columnName, c]) => {
      const column: CatalogueColumn = {
        name: columnName,
        type: c.type,
        classification: c.class,
        nullable: c.nullable ?? false,
        span: spanAtPath(source, ['tables', name, 'columns', columnName], 'key'),
      };
      if (c.description !== undefined) column.description = c.description;
      if (c.code_system !== undefined) column.codeSystem = c.code_system;
      if (c.sensitive_terms === true) column.sensitiveTerms = true;
      if (c.values !== undefined) column.values = c.values;
      if (c.format !== undefined) column.format = c.format;
      if (c.references !== undefined) {
        const [table, col] = c.references.split('.') as [string, string];
        column.references = { table, column: col };
      }
      return column;
    });
    const relations: CatalogueRelation[] = Object.entries(t.relations ?? {}).map(([relationName, r]) => {
      const relation: CatalogueRelation = {
        name: relationName,
        from: name,
        to: r.table,
        cardinality: r.cardinality,
        on: Object.entries(r.on).map(([from, to]) => ({ from, to })),
        population: r.population ?? false,
        span: spanAtPath(source, ['tables', name, 'relations', relationName], 'key'),
      };
      if (r.description !== undefined) relation.description = r.description;
      return relation;
    });
    const table: CatalogueTable = {
      name,
      schema: t.schema,
      description: t.description,
      selectable: t.selectable ?? true,
      primaryKey: t.primary_key,
      indexes: t.indexes ?? [],
      columns,
      relations,
      span: spanAtPath(source, ['tables', name], 'key'),
    };
    if (t.class !== undefined) table.classification = t.class;
    if (t.change_tracking !== undefined) table.changeTracking = t.change_tracking;
    if (t.tombstone !== undefined) table.tombstone = t.tombstone;
    if (t.patient_column !== undefined) table.patientColumn = t.patient_column;
    if (t.practice_column !== undefined) table.practiceColumn = t.practice_column;
    if (t.confidential_column !== undefined) table.confidentialColumn = t.confidential_column;
    if (t.confidential_via !== undefined) table.confidentialVia = t.confidential_via;
    return table;
  });
  const p = raw.population;
  const catalogue: Catalogue = {
    name: raw.name,
    path,
    population: {
      patient: { table: p.patient.table, key: p.patient.key, pdsSensitive: p.patient.pds_sensitive, dateOfDeath: p.patient.date_of_death },
      registration: {
        table: p.registration.table,
        patient: p.registration.patient,
        practice: p.registration.practice,
        type: p.registration.type,
        permanentValue: p.registration.permanent_value,
        start: p.registration.start,
        end: p.registration.end,
      },
      optOut: {
        table: p.opt_out.table,
        patient: p.opt_out.patient,
        type: p.opt_out.type,
        type1Value: p.opt_out.type1_value,
        nationalDataOptOutValue: p.opt_out.national_data_opt_out_value,
        from: p.opt_out.from,
        to: p.opt_out.to,
      },
    },
    tables,
  };
  if (raw.description !== undefined) catalogue.description = raw.description;
  return catalogue;
}

/** Checks what the schema cannot: that every name refers to something declared, with the right type. */
function checkCatalogue(catalogue: Catalogue, raw: RawCatalogue, source: YamlSource): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const tableNames = catalogue.tables.map((t) => t.name);

  const requireTable = (name: string, where: string, path: YamlPath): CatalogueTable | undefined => {
    const table = findTable(catalogue, name);
    if (!table) {
      diagnostics.push(
        catalogueCodes.make('catalogue-unknown-table', { table: name, where, suggestion: didYouMean(name, tableNames) }, spanAtPath(source, path)),
      );
    }
    return table;
  };
  const requireColumn = (
    table: CatalogueTable,
    name: string,
    where: string,
    path: YamlPath,
    expect?: { role: string; types?: ColumnType[]; classes?: Classification[] },
  ): CatalogueColumn | undefined => {
    const column = findColumn(table, name);
    const span = spanAtPath(source, path);
    if (!column) {
      diagnostics.push(
        catalogueCodes.make(
          'catalogue-unknown-column',
          { table: table.name, column: name, where, suggestion: didYouMean(name, table.columns.map((c) => c.name)) },
          span,
        ),
      );
      return undefined;
    }
    if (expect?.types && !expect.types.includes(column.type)) {
      diagnostics.push(
        catalogueCodes.make(
          'catalogue-wrong-column-type',
          { table: table.name, column: name, role: expect.role, expected: expect.types.join(' or '), actual: column.type },
          span,
        ),
      );
    }
    if (expect?.classes && !expect.classes.includes(column.classification)) {
      diagnostics.push(
        catalogueCodes.make(
          'catalogue-wrong-column-class',
          { table: table.name, column: name, role: expect.role, expected: expect.classes.join(' or '), actual: column.classification },
          span,
        ),
      );
    }
    return column;
  };

  for (const table of catalogue.tables) {
    const base: YamlPath = ['tables', table.name];
    table.primaryKey.forEach((key, i) => requireColumn(table, key, 'primary_key', [...base, 'primary_key', i]));
    if (table.changeTracking) {
      requireColumn(table, table.changeTracking, 'change_tracking', [...base, 'change_tracking'], {
        role: 'change-tracking column',
        types: ['timestamptz'],
        classes: ['system'],
      });
    }
    if (table.tombstone) {
      const column = requireColumn(table, table.tombstone, 'tombstone', [...base, 'tombstone'], {
        role: 'tombstone column',
        types: ['timestamptz'],
        classes: ['system'],
      });
      if (column && !column.nullable) {
        diagnostics.push(
          catalogueCodes.make(
            'catalogue-wrong-column-type',
            { table: table.name, column: column.name, role: 'tombstone column', expected: 'nullable', actual: 'not nullable' },
            spanAtPath(source, [...base, 'tombstone']),
          ),
        );
      }
    }
    if (table.patientColumn) requireColumn(table, table.patientColumn, 'patient_column', [...base, 'patient_column']);
    else if (table.name !== catalogue.population.patient.table) {
      // A table whose rows belong to patients must say which column names the patient: a
      // provider's catalogue that leaves it out would take every guard of the population off it.
      const patients = catalogue.population.patient;
      const relation = table.relations.find((r) => r.to === patients.table && r.cardinality === 'one');
      const reference = table.columns.find((c) => c.references?.table === patients.table && c.references.column === patients.key);
      const how = relation ? `its relation \`${relation.name}\` leads to one \`${patients.table}\`` : reference ? `\`${reference.name}\` references ${patients.table}.${patients.key}` : undefined;
      if (how) diagnostics.push(catalogueCodes.make('catalogue-patient-rows-unscoped', { table: table.name, how }, spanAtPath(source, base, 'key'), [`add patient_column: ${relation?.on[0]?.from ?? reference?.name ?? 'patient_id'}`]));
    }
    if (table.practiceColumn) requireColumn(table, table.practiceColumn, 'practice_column', [...base, 'practice_column'], { role: 'practice column', types: ['text'] });
    if (table.confidentialColumn) {
      requireColumn(table, table.confidentialColumn, 'confidential_column', [...base, 'confidential_column'], {
        role: 'confidential flag',
        types: ['boolean'],
        classes: ['control'],
      });
    }
    (table.confidentialVia ?? []).forEach((name, i) => {
      const span = spanAtPath(source, [...base, 'confidential_via', i]);
      const problem = (reason: string, hints: string[] = []) =>
        diagnostics.push(catalogueCodes.make('catalogue-confidential-via', { table: table.name, relation: name, reason }, span, hints));
      const relation = table.relations.find((r) => r.name === name);
      if (!relation) return problem(`which is not one of its relations${didYouMean(name, table.relations.map((r) => r.name))}`);
      if (relation.cardinality !== 'one') return problem(`whose cardinality is ${relation.cardinality}: a row can only be inside one parent (cardinality one)`);
      const target = findTable(catalogue, relation.to);
      if (target && !target.confidentialColumn) {
        return problem(`which leads to \`${target.name}\`, a table without a confidential_column`, [`name the confidential flag of \`${target.name}\` with confidential_column`]);
      }
      return undefined;
    });
    table.indexes.forEach((index, i) => index.forEach((col, j) => requireColumn(table, col, 'index', [...base, 'indexes', i, j])));
    for (const column of table.columns) {
      if (!column.references) continue;
      const path: YamlPath = [...base, 'columns', column.name, 'references'];
      const target = requireTable(column.references.table, `\`${table.name}.${column.name}\` references`, path);
      if (!target) continue;
      const targetColumn = requireColumn(target, column.references.column, `\`${table.name}.${column.name}\` references`, path);
      if (targetColumn && targetColumn.type !== column.type) {
        diagnostics.push(
          catalogueCodes.make(
            'catalogue-join-type-mismatch',
            { relation: `references ${target.name}.${targetColumn.name}`, left: `${table.name}.${column.name}`, right: `${target.name}.${targetColumn.name}`, leftType: column.type, rightType: targetColumn.type },
            spanAtPath(source, path),
          ),
        );
      }
    }
    for (const relation of table.relations) {
      const path: YamlPath = [...base, 'relations', relation.name];
      const target = requireTable(relation.to, `relation \`${table.name}.${relation.name}\``, [...path, 'table']);
      if (!target) continue;
      for (const pair of relation.on) {
        const left = requireColumn(table, pair.from, `relation \`${table.name}.${relation.name}\``, [...path, 'on', pair.from]);
        const right = requireColumn(target, pair.to, `relation \`${table.name}.${relation.name}\``, [...path, 'on', pair.from]);
        if (left && right && left.type !== right.type) {
          diagnostics.push(
            catalogueCodes.make(
              'catalogue-join-type-mismatch',
              { relation: `${table.name}.${relation.name}`, left: `${table.name}.${left.name}`, right: `${target.name}.${right.name}`, leftType: left.type, rightType: right.type },
              spanAtPath(source, [...path, 'on', pair.from]),
            ),
          );
        }
      }
      if (relation.population) {
        const reasons: string[] = [];
        if (relation.to !== raw.population.registration.table) reasons.push(`it must lead to the registration table \`${raw.population.registration.table}\``);
        if (relation.cardinality !== 'one') reasons.push('its cardinality must be one');
        if (table.name !== raw.population.patient.table) reasons.push(`it must be declared on the patient table \`${raw.population.patient.table}\``);
        for (const reason of reasons) {
          diagnostics.push(catalogueCodes.make('catalogue-population-relation', { relation: `${table.name}.${relation.name}`, reason }, spanAtPath(source, path, 'key')));
        }
      }
    }
  }

  const pop = raw.population;
  const patient = requireTable(pop.patient.table, 'population.patient', ['population', 'patient', 'table']);
  if (patient) {
    requireColumn(patient, pop.patient.key, 'population.patient.key', ['population', 'patient', 'key']);
    requireColumn(patient, pop.patient.pds_sensitive, 'population.patient.pds_sensitive', ['population', 'patient', 'pds_sensitive'], {
      role: 'PDS sensitive flag',
      types: ['boolean'],
      classes: ['control'],
    });
    requireColumn(patient, pop.patient.date_of_death, 'population.patient.date_of_death', ['population', 'patient', 'date_of_death'], {
      role: 'date of death',
      types: ['date'],
    });
  }
  const registration = requireTable(pop.registration.table, 'population.registration', ['population', 'registration', 'table']);
  if (registration) {
    const r = pop.registration;
    requireColumn(registration, r.patient, 'population.registration.patient', ['population', 'registration', 'patient']);
    requireColumn(registration, r.practice, 'population.registration.practice', ['population', 'registration', 'practice'], { role: 'practice of the registration', types: ['text'] });
    requireColumn(registration, r.type, 'population.registration.type', ['population', 'registration', 'type'], { role: 'registration type', types: ['text'] });
    requireColumn(registration, r.start, 'population.registration.start', ['population', 'registration', 'start'], { role: 'registration start', types: ['date'] });
    requireColumn(registration, r.end, 'population.registration.end', ['population', 'registration', 'end'], { role: 'registration end', types: ['date'] });
  }
  const optOut = requireTable(pop.opt_out.table, 'population.opt_out', ['population', 'opt_out', 'table']);
  if (optOut) {
    const o = pop.opt_out;
    requireColumn(optOut, o.patient, 'population.opt_out.patient', ['population', 'opt_out', 'patient']);
    requireColumn(optOut, o.type, 'population.opt_out.type', ['population', 'opt_out', 'type'], { role: 'opt-out type', types: ['text'] });
    requireColumn(optOut, o.from, 'population.opt_out.from', ['population', 'opt_out', 'from'], { role: 'opt-out start', types: ['timestamptz', 'date'] });
    requireColumn(optOut, o.to, 'population.opt_out.to', ['population', 'opt_out', 'to'], { role: 'opt-out end', types: ['timestamptz', 'date'] });
  }
  for (const required of ['concept', 'closure', 'refset_member']) {
    const table = findTable(catalogue, required);
    if (!table || table.schema !== 'terminology') {
      diagnostics.push(
        catalogueCodes.make(
          'catalogue-unknown-table',
          { table: required, where: 'exdef\'s terminology (schema `terminology`)', suggestion: '' },
          spanOf(source.file, 0, 0),
          ['copy the terminology tables from the reference catalogue; exdef loads SNOMED CT into them'],
        ),
      );
    }
  }
  return diagnostics;
}
