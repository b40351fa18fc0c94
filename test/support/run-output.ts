/**
 * Reading what `exdef run` delivered, independently of the executor: the ZIP through the `unzip`
 * binary, the CSVs through csv-parse, the seed-000 log file line by line, and the rows the plan's
 * own queries give when a test runs them itself on the same database.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import type { Session } from '../../src/db/database.js';
import type { CsvDialect } from '../../src/execute/csv.js';
import { bindParameters, type RunValues } from '../../src/sql/bind-parameters.js';
import type { CompiledPlan } from '../../src/sql/compile-extract.js';

// ---------------------------------------------------------------------------------------------
// The ZIP, through the unzip binary

function unzip(args: string[]): { status: number; stdout: Buffer; stderr: string } {
  const result = spawnSync('unzip', args, { maxBuffer: 1 << 28 });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr.toString('utf8') };
}

/** `unzip -t`: every member's CRC checked. */
export function testZip(zip: string): { status: number; output: string } {
  const result = unzip(['-t', zip]);
  return { status: result.status, output: result.stdout.toString('utf8') + result.stderr };
}

/** The members' names (folders that are only entries of their own left out). */
export function zipMembers(zip: string): string[] {
  const result = unzip(['-Z1', zip]);
  if (result.status !== 0) throw new Error(`unzip -Z1 ${zip} failed: ${result.stderr}`);
  return result.stdout.toString('utf8').split('\n').filter((name) => name !== '' && !name.endsWith('/'));
}

/** One member's bytes, as `unzip -p` writes them. */
export function zipMember(zip: string, name: string): Buffer {
  const result = unzip(['-p', zip, name]);
  if (result.status !== 0) throw new Error(`unzip -p ${zip} ${name} failed: ${result.stderr}`);
  return result.stdout;
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// CSV

/** A CSV file's records (the header included when the dialect has one), read with csv-parse. */
export function parseCsv(bytes: Buffer, dialect: CsvDialect): string[][] {
  return parse(bytes, { delimiter: dialect.delimiter, quote: dialect.quote, escape: dialect.quote, relax_column_count: false, bom: false }) as string[][];
}

/**
 * What is wrong with a file's line endings: a record must end in CRLF (crlf) or LF (lf), and
 * outside quoted values there is no other CR or LF; the file ends with a record end.
 */
export function lineEndingProblems(bytes: Buffer, dialect: CsvDialect): string[] {
  const text = bytes.toString('utf8');
  const problems: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === dialect.quote) {
      quoted = !quoted;
      continue;
    }
    if (quoted) continue;
    if (c === '\r' && (dialect.lineEnding === 'lf' || text[i + 1] !== '\n')) problems.push(`a CR outside a quoted value at character ${i}`);
    if (c === '\n' && dialect.lineEnding === 'crlf' && text[i - 1] !== '\r') problems.push(`an LF without CR at character ${i}`);
  }
  if (quoted) problems.push('the file ends inside a quoted value');
  if (text.length > 0 && !text.endsWith(dialect.lineEnding === 'crlf' ? '\r\n' : '\n')) problems.push('the last record has no line ending');
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The log file (seed 000, "Log File")

const STAMP = '(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2})';

export interface LogFile {
  status: string;
  started: Date;
  completed: Date;
  seconds: number;
  errors: number;
  files: number;
  reason?: string;
  /** `Practice left out: ODS (why)` lines, last: the practices without a valid approval. */
  excluded: string[];
}

/**
 * Reads a log file against seed 000's format: exactly its six lines (a FAILED log adds one
 * `Reason:` line; a run that left practices out names each last). Throws, naming the line, when one does not match.
 */
export function readLogFile(text: string): LogFile {
  if (!text.endsWith('\n')) throw new Error('the log file does not end with a line ending');
  const all = text.slice(0, -1).split('\n');
  const excluded = all.filter((l) => l.startsWith('Practice left out: '));
  const lines = all.slice(0, all.length - excluded.length);
  const patterns = [
    /^Status: (COMPLETE|FAILED)$/,
    new RegExp(`^Extract started: ${STAMP}$`),
    new RegExp(`^Extract completed: ${STAMP}$`),
    /^Execution time: (\d+) seconds$/,
    /^Number of errors: (\d+)$/,
    /^Number of files generated: (\d+)$/,
  ];
  const failed = lines[0] === 'Status: FAILED';
  if (failed) patterns.push(/^Reason: (\S.*)$/);
  if (lines.length !== patterns.length) throw new Error(`the log file has ${lines.length} lines, not ${patterns.length}:\n${text}`);
  const values = lines.map((line, i) => {
    const match = patterns[i]!.exec(line);
    if (!match) throw new Error(`line ${i + 1} of the log file does not match ${patterns[i]}: ${JSON.stringify(line)}`);
    return match[1]!;
  });
  return {
    status: values[0]!,
    started: new Date(`${values[1]!.replace(' ', 'T')}Z`),
    completed: new Date(`${values[2]!.replace(' ', 'T')}Z`),
    seconds: Number(values[3]),
    errors: Number(values[4]),
    files: Number(values[5]),
    ...(failed ? { reason: values[6]! } : {}),
    excluded: excluded.map((l) => l.slice('Practice left out: '.length)),
  };
}

// ---------------------------------------------------------------------------------------------
// The expectation: the plan's queries, run by the test

/**
 * The CSV files a full run must deliver, in the manifest's order (folder by folder in
 * per-practice layout, then datasets in the definition's order), each as its records in text
 * (the header first when the dialect has one): the plan's full query of each dataset run on
 * `session` with the run's values, NULL as an empty field, and in per-practice layout the
 * hidden first column choosing the folder (every practice of the run gets a file).
 */
export async function expectedCsvFiles(
  session: Session,
  plan: CompiledPlan,
  values: RunValues,
  options: { practices: readonly string[]; header: boolean },
): Promise<Map<string, string[][]>> {
  const { practices, header } = options;
  const perPractice = plan.definition.layout === 'per_practice';
  const byDataset = new Map<string, Map<string, string[][]>>();
  for (const dataset of plan.datasets) {
    const fields = dataset.columns.filter((c) => c.role !== 'practice' && c.role !== 'held').map((c) => c.name);
    const practiceColumn = dataset.columns.find((c) => c.role === 'practice')?.name;
    const rows = await session.query(dataset.full.sql, bindParameters(plan, dataset.full, values));
    const files = new Map<string, string[][]>();
    for (const folder of perPractice ? practices : ['']) files.set(folder, header ? [fields] : []);
    for (const row of rows) {
      const folder = perPractice ? String(row[practiceColumn!]) : '';
      const records = files.get(folder);
      if (!records) throw new Error(`dataset ${dataset.name}: a row for practice ${folder}, which is not in the run`);
      records.push(fields.map((name) => fieldText(row[name])));
    }
    byDataset.set(dataset.name, files);
  }
  const expected = new Map<string, string[][]>();
  for (const folder of perPractice ? [...practices].sort() : ['']) {
    for (const dataset of plan.datasets) expected.set(`${folder ? `${folder}/` : ''}${dataset.name}.csv`, byDataset.get(dataset.name)!.get(folder)!);
  }
  return expected;
}

function fieldText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : String(value);
}
