import { createHmac } from 'node:crypto';
import type { Catalogue } from '../catalogue/catalogue.js';
import type { Database } from '../db/database.js';
import { openDatabase } from '../db/open-database.js';
import { ensureSchema } from '../db/reporting-schema.js';
import { defineCodes } from '../diagnostics/define-codes.js';
import { hasErrors, type Diagnostic } from '../diagnostics/diagnostic.js';
import { closestMatch } from '../diagnostics/suggest.js';
import { ExdefError } from '../failure.js';
import type { Dataset } from '../ir/extract-definition.js';
import { compileDefinitionFile } from '../pipeline/compile-definition.js';
import type { LintContext } from '../pipeline/lint-definition.js';
import { bindParameters, type RunValues } from '../sql/bind-parameters.js';
import { importTerminology } from '../terminology/import-terminology.js';
import { checkExpectations, type ActualRow, type CheckResult, type DatasetRows } from './check-expectations.js';
import type { DefinitionTest } from './definition-test.js';
import { insertTestPatients, testPseudonymKey, type InsertedPatient } from './test-records.js';

export const definitionTestRunCodes = defineCodes({
  'test-unknown-dataset': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { dataset: string; definition: string; suggestion?: string }) =>
      `${p.definition} has no dataset \`${p.dataset}\`${p.suggestion ? `; did you mean \`${p.suggestion}\`?` : ''}`,
  },
});

/** What every test of a run shares: one in-memory database with the schema and the terminology, the lint context. */
export interface TestBench {
  db: Database;
  catalogue: Catalogue;
  context: LintContext;
}

export interface DefinitionTestResult {
  testFile: string;
  definitionFile: string;
  status: 'passed' | 'failed';
  /** The definition's lint errors, or expectations naming datasets it does not have. */
  diagnostics: Diagnostic[];
  checks: CheckResult[];
  /** Rows each dataset produced. */
  rows: Record<string, number>;
  seconds: number;
}

/** The patient column that identifies a test patient in a row (as it is, or as a pseudonym). */
const NHS_NUMBER = 'nhs_number';

/** The record key of a delta definition's record ids in a test (they are opaque; tests do not match them). */
const TEST_RECORD_KEY = 'exdef-test-record-key-0123456789abcdef0123456789abcdef';

/**
 * Opens the test bench: an in-memory PGlite with the catalogue's schema and the terminology (the
 * shipped sample unless `terminologyDir`: the one lint evaluates code sets in). Tests run one
 * after another on it, each in a transaction that is rolled back, so each sees only its own patients.
 */
export async function openTestBench(options: { context: LintContext; terminologyDir?: string | undefined }): Promise<TestBench> {
  const db = await openDatabase({ url: 'memory:' });
  try {
    await ensureSchema(db, options.context.catalogue);
    const imported = await importTerminology(db, ...(options.terminologyDir ? [options.terminologyDir] : []));
    if (!imported.summary || hasErrors(imported.diagnostics)) {
      throw new ExdefError(`the terminology ${options.terminologyDir ?? '(sample)'} cannot be loaded: ${imported.diagnostics.find((d) => d.severity === 'error')?.message ?? 'no concepts'}`, { exitCode: 2, step: 'test setup' });
    }
  } catch (error) {
    await db.close();
    throw error;
  }
  return { db, catalogue: options.context.catalogue, context: options.context };
}

/**
 * Runs one test against one definition file, the way `exdef run` would extract it on the test's
 * `today`: lint (a definition with errors fails the test), compile, then every dataset's full
 * query with its parameters bound as a run binds them (fixed test pseudonym keys), over the test's
 * patients only. Each expectation is then checked against the rows.
 */
export async function runDefinitionTest(bench: TestBench, test: DefinitionTest, definitionFile: string): Promise<DefinitionTestResult> {
  const started = Date.now();
  const result = (status: DefinitionTestResult['status'], extra: Partial<DefinitionTestResult>): DefinitionTestResult => ({
    testFile: test.file,
    definitionFile,
    status,
    diagnostics: [],
    checks: [],
    rows: {},
    ...extra,
    seconds: (Date.now() - started) / 1000,
  });

  const compiled = compileDefinitionFile(definitionFile, { ...bench.context, today: test.today });
  const errors = compiled.diagnostics.filter((d) => d.severity === 'error');
  if (!compiled.plan || !compiled.definition || errors.length > 0) return result('failed', { diagnostics: errors });
  const plan = compiled.plan;
  const definition = compiled.definition;

  const names = plan.datasets.map((d) => d.name);
  const unknown = test.expectations
    .filter((e) => !names.includes(e.dataset))
    .map((e) => {
      const suggestion = closestMatch(e.dataset, names);
      return definitionTestRunCodes.make('test-unknown-dataset', { dataset: e.dataset, definition: definitionFile, ...(suggestion ? { suggestion } : {}) }, e.span, [`its datasets: ${names.join(', ')}`]);
    });
  if (unknown.length > 0) return result('failed', { diagnostics: unknown });

  const values: RunValues = {
    snapshotDate: test.today,
    recordKey: TEST_RECORD_KEY,
    keys: new Map(plan.keys.map((name) => [name, testPseudonymKey(name)])),
  };
  const extracted = await bench.db.withSession(async (session) => {
    await session.exec('BEGIN');
    try {
      const patients = await insertTestPatients(session, bench.catalogue, test, definition.population.practices);
      const identities = patientIdentities(patients, plan.keys);
      const datasets: DatasetRows[] = [];
      for (const dataset of plan.datasets) {
        const raw = await session.query(dataset.full.sql, bindParameters(plan, dataset.full, values));
        const fields = dataset.columns.filter((c) => c.role === 'field').map((c) => c.name);
        const rows = raw.map((r): ActualRow => {
          const row: ActualRow = { values: Object.fromEntries(fields.map((f) => [f, r[f] === null || r[f] === undefined ? null : String(r[f])])) };
          const patient = fields.map((f) => identities.get(row.values[f] ?? '')).find((p) => p !== undefined);
          if (patient !== undefined) row.patient = patient;
          return row;
        });
        datasets.push({ name: dataset.name, fields, rows, identifiesPatients: identifiesPatients(definition.datasets.find((d) => d.name === dataset.name)!, bench.catalogue) });
      }
      return datasets;
    } finally {
      await session.exec('ROLLBACK');
    }
  });

  const checks = test.expectations.flatMap((e) => checkExpectations(e, extracted.find((d) => d.name === e.dataset)!));
  return result(checks.every((c) => c.passed) ? 'passed' : 'failed', {
    checks,
    rows: Object.fromEntries(extracted.map((d) => [d.name, d.rows.length])),
  });
}

/**
 * Each test patient's identifying values as an extract can write them: the NHS number, and its
 * pseudonym under each of the plan's keys (HMAC-SHA256, hex, as the compiled SQL computes it).
 */
function patientIdentities(patients: readonly InsertedPatient[], keys: readonly string[]): Map<string, string> {
  const identities = new Map<string, string>();
  for (const p of patients) {
    identities.set(p.nhsNumber, p.name);
    for (const key of keys) identities.set(createHmac('sha256', testPseudonymKey(key)).update(p.nhsNumber, 'utf8').digest('hex'), p.name);
  }
  return identities;
}

/** A dataset tells patients apart when a field is the patient's NHS number, as it is or pseudonymised. */
function identifiesPatients(dataset: Dataset, catalogue: Catalogue): boolean {
  const patientTable = catalogue.population.patient.table;
  return dataset.fields.some(
    (f) => (f.transform === 'none' || f.transform === 'pseudonym') && f.sources.length === 1 && f.sources[0]!.table === patientTable && f.sources[0]!.column === NHS_NUMBER,
  );
}

/** Closes the bench's database. */
export async function closeTestBench(bench: TestBench): Promise<void> {
  await bench.db.close();
}
