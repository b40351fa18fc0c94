import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { findTable, type Catalogue } from '../../../src/catalogue/catalogue.js';
import { allStatements, generateDdl, indexColumns } from '../../../src/catalogue/ddl.js';
import { loadCatalogue, parseCatalogue, referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { ensureSchema } from '../../../src/db/reporting-schema.js';
import { resources } from '../../../src/resources.js';
import { scratchDatabase, testEngines, type ScratchDatabase } from '../../support/engines.js';

/**
 * The reference model exactly as shared/reference-model.md gives it, written out independently
 * of the catalogue file: [type, class, nullable]. Class letters as in the document.
 */
const MODEL: Record<string, Record<string, [string, string, boolean]>> = {
  practice: { ods_code: ['text', 'A', false], name: ['text', 'A', false], postcode: ['text', 'A', false], updated_at: ['timestamptz', 'S', false] },
  patient: {
    patient_id: ['bigint', 'S', false], nhs_number: ['text', 'D', false], given_name: ['text', 'D', false], family_name: ['text', 'D', false],
    date_of_birth: ['date', 'Q', false], sex: ['text', 'Q', false], ethnicity_code: ['bigint', 'Q', true], address_line: ['text', 'D', false],
    postcode: ['text', 'Q', false], phone: ['text', 'D', true], email: ['text', 'D', true], date_of_death: ['date', 'Q', true],
    pds_sensitive: ['boolean', 'K', false], updated_at: ['timestamptz', 'S', false], deleted_at: ['timestamptz', 'S', true],
  },
  registration: {
    registration_id: ['bigint', 'S', false], patient_id: ['bigint', 'S', false], practice_ods: ['text', 'A', false], registration_type: ['text', 'A', false],
    start_date: ['date', 'A', false], end_date: ['date', 'A', true], end_reason: ['text', 'A', true], updated_at: ['timestamptz', 'S', false], deleted_at: ['timestamptz', 'S', true],
  },
  opt_out: {
    opt_out_id: ['bigint', 'S', false], patient_id: ['bigint', 'S', false], opt_out_type: ['text', 'K', false], effective_from: ['timestamptz', 'K', false],
    effective_to: ['timestamptz', 'K', true], updated_at: ['timestamptz', 'S', false],
  },
  observation: {
    observation_id: ['bigint', 'S', false], patient_id: ['bigint', 'S', false], practice_ods: ['text', 'A', false], consultation_id: ['bigint', 'S', true],
    code: ['bigint', 'C', false], effective_date: ['date', 'C', false], recorded_at: ['timestamptz', 'C', false], value_numeric: ['numeric', 'C', true],
    value_unit: ['text', 'C', true], comment: ['text', 'F', true], confidential: ['boolean', 'K', false], updated_at: ['timestamptz', 'S', false], deleted_at: ['timestamptz', 'S', true],
  },
  medication_issue: {
    medication_issue_id: ['bigint', 'S', false], patient_id: ['bigint', 'S', false], practice_ods: ['text', 'A', false], dmd_code: ['bigint', 'C', false],
    issue_date: ['date', 'C', false], quantity: ['numeric', 'C', false], quantity_unit: ['text', 'C', false], dosage_text: ['text', 'F', true],
    confidential: ['boolean', 'K', false], updated_at: ['timestamptz', 'S', false], deleted_at: ['timestamptz', 'S', true],
  },
  referral: {
    referral_id: ['bigint', 'S', false], patient_id: ['bigint', 'S', false], practice_ods: ['text', 'A', false], code: ['bigint', 'C', false],
    referral_date: ['date', 'C', false], target_service: ['text', 'A', false], urgency: ['text', 'A', false], notes: ['text', 'F', true],
    confidential: ['boolean', 'K', false], updated_at: ['timestamptz', 'S', false], deleted_at: ['timestamptz', 'S', true],
  },
  appointment: {
    appointment_id: ['bigint', 'S', false], patient_id: ['bigint', 'S', false], practice_ods: ['text', 'A', false], starts_at: ['timestamptz', 'A', false],
    duration_minutes: ['integer', 'A', false], status: ['text', 'A', false], slot_type: ['text', 'A', false], clinician_role: ['text', 'A', false],
    updated_at: ['timestamptz', 'S', false], deleted_at: ['timestamptz', 'S', true],
  },
  consultation: {
    consultation_id: ['bigint', 'S', false], patient_id: ['bigint', 'S', false], practice_ods: ['text', 'A', false], consultation_date: ['date', 'C', false],
    consultation_type: ['text', 'A', false], summary: ['text', 'F', true], confidential: ['boolean', 'K', false], updated_at: ['timestamptz', 'S', false], deleted_at: ['timestamptz', 'S', true],
  },
  document: {
    document_id: ['bigint', 'S', false], patient_id: ['bigint', 'S', false], practice_ods: ['text', 'A', false], document_date: ['date', 'C', false],
    title: ['text', 'F', false], content: ['bytea', 'X', false], confidential: ['boolean', 'K', false], updated_at: ['timestamptz', 'S', false], deleted_at: ['timestamptz', 'S', true],
  },
  concept: { id: ['bigint', 'S', false], fsn: ['text', 'S', false], active: ['boolean', 'S', false] },
  closure: { ancestor_id: ['bigint', 'S', false], descendant_id: ['bigint', 'S', false] },
  refset_member: { refset_id: ['bigint', 'S', false], referenced_component_id: ['bigint', 'S', false], active: ['boolean', 'S', false] },
};
const CLASS: Record<string, string> = {
  D: 'direct_identifier', Q: 'quasi_identifier', C: 'clinical', A: 'administrative', F: 'free_text', X: 'document', K: 'control', S: 'system',
};

describe('reference catalogue', () => {
  const catalogue = referenceCatalogue();

  it('loads without diagnostics', () => {
    expect(loadCatalogue().diagnostics).toEqual([]);
  });

  it('describes every table and column of the reference model with its type, class and nullability', () => {
    expect(catalogue.tables.map((t) => t.name).sort()).toEqual(Object.keys(MODEL).sort());
    for (const [tableName, columns] of Object.entries(MODEL)) {
      const table = findTable(catalogue, tableName)!;
      expect(table.columns.map((c) => c.name), tableName).toEqual(Object.keys(columns));
      for (const [name, [type, cls, nullable]] of Object.entries(columns)) {
        const column = table.columns.find((c) => c.name === name)!;
        expect([column.type, column.classification, column.nullable], `${tableName}.${name}`).toEqual([type, CLASS[cls], nullable]);
      }
    }
  });

  it('declares keys, change tracking, tombstones and row roles as the model says', () => {
    for (const table of catalogue.tables.filter((t) => t.schema === 'reporting')) {
      expect(table.changeTracking, table.name).toBe('updated_at');
      expect(table.tombstone, table.name).toBe(['practice', 'opt_out'].includes(table.name) ? undefined : 'deleted_at');
    }
    expect(findTable(catalogue, 'observation')!.primaryKey).toEqual(['observation_id']);
    expect(findTable(catalogue, 'observation')!.confidentialColumn).toBe('confidential');
    expect(findTable(catalogue, 'observation')!.columns.find((c) => c.name === 'code')!.codeSystem).toBe('snomed');
    expect(findTable(catalogue, 'closure')!.primaryKey).toEqual(['ancestor_id', 'descendant_id']);
  });

  it('names the relations definitions use, with their join conditions', () => {
    const relation = (table: string, name: string) => findTable(catalogue, table)!.relations.find((r) => r.name === name);
    expect(relation('observation', 'patient')).toMatchObject({ to: 'patient', cardinality: 'one', on: [{ from: 'patient_id', to: 'patient_id' }] });
    expect(relation('patient', 'current_registration')).toMatchObject({ to: 'registration', cardinality: 'one', population: true });
    expect(relation('patient', 'observations')).toMatchObject({ to: 'observation', cardinality: 'many' });
    expect(relation('observation', 'consultation')).toMatchObject({ on: [{ from: 'consultation_id', to: 'consultation_id' }] });
  });

  it('derives the indexes extracts need: by patient, practice, code and change time', () => {
    const observation = findTable(catalogue, 'observation')!;
    expect(indexColumns(observation)).toEqual([['patient_id'], ['practice_ods'], ['code'], ['updated_at']]);
    const ddl = generateDdl(catalogue);
    expect(ddl.indexes.some((s) => s.includes('"observation_updated_at_idx"'))).toBe(true);
    expect(ddl.foreignKeys.some((s) => /"observation".*FOREIGN KEY \("patient_id"\) REFERENCES "reporting"."patient"/.test(s))).toBe(true);
    expect(ddl.triggers.some((s) => s.includes('BEFORE UPDATE ON "reporting"."observation"'))).toBe(true);
  });
});

/** Loads a catalogue text that is the reference one with `replace` applied. */
function variant(replace: (text: string) => string): ReturnType<typeof parseCatalogue> {
  const text = readFileSync(resources.referenceCatalogue, 'utf8');
  const changed = replace(text);
  expect(changed).not.toBe(text);
  return parseCatalogue('provider.catalogue.yaml', changed);
}

/** line:col of the first occurrence of `needle` in `text` (1-based). */
function positionOf(text: string, needle: string): string {
  const offset = text.indexOf(needle);
  expect(offset, needle).toBeGreaterThanOrEqual(0);
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

function where(result: ReturnType<typeof parseCatalogue>): string[] {
  return result.diagnostics.map((d) => `${d.span?.start.line}:${d.span?.start.column} ${d.code}: ${d.message}`);
}

describe('a malformed provider catalogue', () => {
  it('reports a misspelt key with a suggestion at its line and column', () => {
    let text = '';
    const result = variant((t) => (text = t.replace('    primary_key: [patient_id]', '    primary_kye: [patient_id]')));
    expect(result.catalogue).toBeUndefined();
    const at = positionOf(text, 'primary_kye');
    expect(where(result)).toContain(`${at} schema-unknown-key: unknown key \`primary_kye\` in \`tables.patient\`; did you mean \`primary_key\`?`);
  });

  it('reports a classification that is not one of the eight', () => {
    let text = '';
    const result = variant((t) => (text = t.replace('given_name: { type: text, class: direct_identifier', 'given_name: { type: text, class: direct_identifer')));
    const at = positionOf(text, 'direct_identifer');
    expect(where(result)[0]).toMatch(new RegExp(`^${at} schema-invalid-value: \`tables.patient.columns.given_name.class\` must be one of .*; did you mean direct_identifier\\?$`));
  });

  it('reports a relation to a column that does not exist', () => {
    let text = '';
    const result = variant((t) => (text = t.replace('observations: { cardinality: many, table: observation, on: { patient_id: patient_id }', 'observations: { cardinality: many, table: observation, on: { patient_id: patientid }')));
    expect(result.catalogue).toBeUndefined();
    const line = positionOf(text, 'patientid').split(':')[0];
    expect(where(result).join('\n')).toMatch(new RegExp(`^${line}:\\d+ catalogue-unknown-column: relation \`patient.observations\` names column \`patientid\`, which table \`observation\` does not have; did you mean \`patient_id\`\\?`, 'm'));
  });

  it('reports a change-tracking column of the wrong type', () => {
    const result = variant((t) =>
      t.replace('      updated_at: { type: timestamptz, class: system, description: Set to the writing transaction\'s now(). }\n    relations:\n      registrations: { cardinality: many, table: registration, on: { ods_code', '      updated_at: { type: date, class: system, description: x }\n    relations:\n      registrations: { cardinality: many, table: registration, on: { ods_code'),
    );
    expect(where(result).join('\n')).toMatch(/catalogue-wrong-column-type: `practice.updated_at` is the change-tracking column and must be timestamptz, not date/);
  });

  it('refuses a table of patients\' rows without its patient_column: every population guard would be off it (adversarial review 2026-12-03)', () => {
    let text = '';
    const result = variant((t) => {
      const at = t.indexOf('  observation:\n');
      const line = t.indexOf('    patient_column: patient_id\n', at);
      return (text = `${t.slice(0, line)}${t.slice(line + '    patient_column: patient_id\n'.length)}`);
    });
    expect(result.catalogue).toBeUndefined();
    const at = positionOf(text, '  observation:\n').split(':')[0];
    expect(where(result)).toEqual([`${at}:3 catalogue-patient-rows-unscoped: table \`observation\` holds rows of patients (its relation \`patient\` leads to one \`patient\`) but names no patient_column: without one no patient scope applies to its rows (the population, opt-outs, PDS-sensitive patients)`]);
  });

  it('reports YAML syntax errors at their place', () => {
    const result = parseCatalogue('broken.yaml', 'catalogue: 1\nname: x\ntables:\n  patient: [unclosed\n');
    expect(result.catalogue).toBeUndefined();
    expect(result.diagnostics[0]!.code).toBe('yaml-syntax');
    expect(result.diagnostics[0]!.span!.file).toBe('broken.yaml');
    expect(result.diagnostics[0]!.span!.start.line).toBeGreaterThanOrEqual(4);
  });

  it('reports a missing file clearly', () => {
    const result = loadCatalogue('/no/such/catalogue.yaml');
    expect(result.diagnostics.map((d) => d.message)).toEqual(['cannot read catalogue /no/such/catalogue.yaml: no such file']);
  });
});

describe.each(testEngines())('generated DDL on %s', (engine) => {
  let scratch: ScratchDatabase;
  let catalogue: Catalogue;
  beforeAll(async () => {
    scratch = await scratchDatabase(engine);
    catalogue = referenceCatalogue();
  });
  afterAll(async () => scratch?.drop());

  it('applies cleanly and creates every table, key, foreign key, index and trigger', async () => {
    expect(await ensureSchema(scratch.db, catalogue)).toBe(true);
    expect(await ensureSchema(scratch.db, catalogue)).toBe(false);
    const tables = await scratch.db.query<{ n: string }>(
      "SELECT count(*)::text AS n FROM information_schema.tables WHERE table_schema IN ('reporting', 'terminology')",
    );
    expect(Number(tables[0]!.n)).toBe(catalogue.tables.length);
    const constraints = await scratch.db.query<{ type: string; n: string }>(
      "SELECT constraint_type AS type, count(*)::text AS n FROM information_schema.table_constraints WHERE table_schema IN ('reporting', 'terminology') AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY') GROUP BY constraint_type ORDER BY 1",
    );
    const ddl = generateDdl(catalogue);
    expect(constraints).toEqual([
      { type: 'FOREIGN KEY', n: String(ddl.foreignKeys.length) },
      { type: 'PRIMARY KEY', n: String(catalogue.tables.length) },
    ]);
    const indexes = await scratch.db.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE schemaname IN ('reporting', 'terminology')");
    expect(indexes.length).toBe(catalogue.tables.length + ddl.indexes.length);
    expect(allStatements(ddl).length).toBeGreaterThan(50);
  });

  it('runs Kysely queries (PostgreSQL dialect) with bound parameters on this engine', async () => {
    const kysely = scratch.db.kysely();
    await kysely.insertInto('reporting.practice').values({ ods_code: 'Z00001', name: "O'Brien's; DROP TABLE x --", postcode: 'TS1 1AA' }).execute();
    const rows = await kysely.selectFrom('reporting.practice').select(['ods_code', 'name']).where('ods_code', '=', 'Z00001').execute();
    expect(rows).toEqual([{ ods_code: 'Z00001', name: "O'Brien's; DROP TABLE x --" }]);
  });

  it('sets updated_at to the writing transaction time on update, through the trigger', async () => {
    await scratch.db.exec("INSERT INTO reporting.practice (ods_code, name, postcode, updated_at) VALUES ('Z99999', 'Test', 'TS1 1AA', '2001-01-01 00:00:00+00')");
    const [before] = await scratch.db.query<{ updated_at: string }>("SELECT updated_at FROM reporting.practice WHERE ods_code = 'Z99999'");
    expect(before!.updated_at).toBe('2001-01-01 00:00:00+00');
    await scratch.db.exec("UPDATE reporting.practice SET name = 'Renamed' WHERE ods_code = 'Z99999'");
    const [after] = await scratch.db.query<{ fresh: boolean }>("SELECT updated_at > now() - interval '1 hour' AS fresh FROM reporting.practice WHERE ods_code = 'Z99999'");
    expect(after!.fresh).toBe(true);
  });
});
