import { createHmac } from 'node:crypto';
import type { Catalogue } from '../catalogue/catalogue.js';
import type { Database } from '../db/database.js';
import { openDatabase } from '../db/open-database.js';
import { ensureSchema } from '../db/reporting-schema.js';
import { defineCodes } from '../diagnostics/define-codes.js';
import { hasErrors, type Diagnostic } from '../diagnostics/diagnostic.js';
import { closestMatch } from '../diagnostics/suggest.js';
import { ExdefError } from '../failure.js';
import type { IrExpr } from '../ir/expression.js';
import type { Dataset, ExtractDefinition } from '../ir/extract-definition.js';
import { compileCodes } from '../pipeline/compile-definition.js';
import { lintDefinitionFile, type LintContext } from '../pipeline/lint-definition.js';
import { RULES } from '../policy/rules/index.js';
import { bindParameters, type RunValues } from '../sql/bind-parameters.js';
import { CompileError } from '../sql/compile-error.js';
import { compileExtract, type CompiledPlan } from '../sql/compile-extract.js';
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
  /**
   * Errors of the governance rules (paperwork an IG approval completes, not the data): they do not
   * stop the test, but `exdef compile` and `exdef run` refuse the definition until they are resolved.
   */
  notApprovable: Diagnostic[];
  checks: CheckResult[];
  /** Rows each dataset produced. */
  rows: Record<string, number>;
  seconds: number;
}

/** The patient column that identifies a test patient in a row (as it is, or as a pseudonym). */
const NHS_NUMBER = 'nhs_number';

/**
 * The rules whose findings do not stop a test: those of the `governance` category
 * (governance-complete, review-current). They are about the paperwork of approval — intended
 * use, legal basis, DPIA reference, risk statements, the reviewer and the date of the last review
 * — which changes nothing in the SQL or the rows, and which a draft lacks until IG approves it,
 * exactly when it needs testing. Every other rule is about what the extract reads, selects or
 * writes (or lifts such a rule, as exemptions do) and still fails the test.
 */
export const PAPERWORK_RULES: ReadonlySet<string> = new Set(RULES.filter((r) => r.meta.category === 'governance').map((r) => r.meta.id));

function isPaperwork(d: Diagnostic): boolean {
  return d.stage === 'policy' && PAPERWORK_RULES.has(d.code);
}

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
    notApprovable: [],
    checks: [],
    rows: {},
    ...extra,
    seconds: (Date.now() - started) / 1000,
  });

  const compiled = compileForTest(definitionFile, { ...bench.context, today: test.today });
  const notApprovable = compiled.notApprovable;
  if (!compiled.plan || !compiled.definition) return result('failed', { diagnostics: compiled.errors, notApprovable });
  const plan = compiled.plan;
  const definition = compiled.definition;

  const names = plan.datasets.map((d) => d.name);
  const unknown = test.expectations
    .filter((e) => !names.includes(e.dataset))
    .map((e) => {
      const suggestion = closestMatch(e.dataset, names);
      return definitionTestRunCodes.make('test-unknown-dataset', { dataset: e.dataset, definition: definitionFile, ...(suggestion ? { suggestion } : {}) }, e.span, [`its datasets: ${names.join(', ')}`]);
    });
  if (unknown.length > 0) return result('failed', { diagnostics: unknown, notApprovable });

  const values: RunValues = {
    snapshotDate: test.today,
    recordKey: TEST_RECORD_KEY,
    keys: new Map(plan.keys.map((name) => [name, testPseudonymKey(name)])),
  };
  const extracted = await bench.db.withSession(async (session) => {
    await session.exec('BEGIN');
    try {
      const patients = await insertTestPatients(session, bench.catalogue, test, definition.population.practices);
      const datasets: DatasetRows[] = [];
      for (const dataset of plan.datasets) {
        const raw = await session.query(dataset.full.sql, bindParameters(plan, dataset.full, values));
        const columns = dataset.columns.filter((c) => c.role === 'field');
        const fields = columns.map((c) => c.name);
        const identifying = identifyingFields(definition.datasets.find((d) => d.name === dataset.name)!, bench.catalogue, patients);
        const rows = raw.map((r): ActualRow => {
          const row: ActualRow = { values: Object.fromEntries(fields.map((f) => [f, r[f] === null || r[f] === undefined ? null : String(r[f])])) };
          const patient = patientOf(row, identifying);
          if (patient !== undefined) row.patient = patient;
          return row;
        });
        datasets.push({ name: dataset.name, fields, types: Object.fromEntries(columns.map((c) => [c.name, c.type])), rows, identifiesPatients: identifying.length > 0 });
      }
      return datasets;
    } finally {
      await session.exec('ROLLBACK');
    }
  });

  const checks = test.expectations.flatMap((e) => checkExpectations(e, extracted.find((d) => d.name === e.dataset)!));
  return result(checks.every((c) => c.passed) ? 'passed' : 'failed', {
    notApprovable,
    checks,
    rows: Object.fromEntries(extracted.map((d) => [d.name, d.rows.length])),
  });
}

/**
 * Lints the definition as `exdef compile` would and compiles it unless it has errors — but the
 * errors of the paperwork rules are set apart (`notApprovable`) and do not stop the compilation
 * here. `exdef compile` and `exdef run` (compileDefinitionFile) still refuse every lint error.
 */
function compileForTest(path: string, context: LintContext): { definition?: ExtractDefinition; plan?: CompiledPlan; errors: Diagnostic[]; notApprovable: Diagnostic[] } {
  const checked = lintDefinitionFile(path, context);
  const errors = checked.diagnostics.filter((d) => d.severity === 'error');
  const notApprovable = errors.filter(isPaperwork);
  const blocking = errors.filter((d) => !isPaperwork(d));
  if (!checked.definition || blocking.length > 0) return { errors: blocking, notApprovable };
  try {
    const plan = compileExtract(checked.definition, { catalogue: context.catalogue, policy: context.policy, today: context.today });
    return { definition: checked.definition, plan, errors: [], notApprovable };
  } catch (error) {
    if (!(error instanceof CompileError)) throw error;
    const diagnostic = compileCodes.make('cannot-compile', { reason: error.message }, error.span ?? { file: path, start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } }, error.hints);
    return { errors: [diagnostic], notApprovable };
  }
}

/** A field that holds the patient's NHS number, and the test patient each of its values stands for. */
interface IdentifyingField {
  name: string;
  patients: Map<string, string>;
}

/**
 * The fields of a dataset that identify a test patient, each with the values it can hold: a field
 * whose value is the patient's NHS number holds the numbers, a field `pseudonym(nhs_number, 'k')`
 * the pseudonyms under key k only (HMAC-SHA256, hex, as the compiled SQL computes it). No other
 * field is looked at, so a value that happens to equal a number elsewhere credits no one.
 */
function identifyingFields(dataset: Dataset, catalogue: Catalogue, patients: readonly InsertedPatient[]): IdentifyingField[] {
  const patientTable = catalogue.population.patient.table;
  const isNhsNumber = (e: IrExpr | undefined) => e?.kind === 'column' && e.table === patientTable && e.column === NHS_NUMBER;
  const identifying: IdentifyingField[] = [];
  for (const field of dataset.fields) {
    const value = field.value;
    if (isNhsNumber(value)) {
      identifying.push({ name: field.name, patients: new Map(patients.map((p) => [p.nhsNumber, p.name])) });
    } else if (value.kind === 'call' && value.fn === 'pseudonym' && isNhsNumber(value.args[0])) {
      const key = testPseudonymKey(value.key);
      identifying.push({ name: field.name, patients: new Map(patients.map((p) => [createHmac('sha256', key).update(p.nhsNumber, 'utf8').digest('hex'), p.name])) });
    }
  }
  return identifying;
}

/** The test patient a row belongs to: the one its identifying fields name, when they name one and the same. */
function patientOf(row: ActualRow, identifying: readonly IdentifyingField[]): string | undefined {
  const named = new Set(identifying.map((f) => f.patients.get(row.values[f.name] ?? '')));
  if (named.size !== 1) return undefined;
  return [...named][0];
}

/** Closes the bench's database. */
export async function closeTestBench(bench: TestBench): Promise<void> {
  await bench.db.close();
}
