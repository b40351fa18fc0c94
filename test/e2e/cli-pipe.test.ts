import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/resources.js';

/**
 * Issue 12 item 1: output piped to `| jq`, `| tee` or a CI log is never cut off. Each command runs
 * with its stdout a real pipe whose reader waits before reading (as a busy `tee` does), so the
 * 64 KiB pipe buffer fills and the command must wait for it to drain before exiting; the bytes
 * read must equal those the same command writes to a file.
 */
const bin = join(packageRoot, 'bin', 'run.js');
const env = { ...process.env, NO_COLOR: '1', EXDEF_DATABASE_URL: '' };
// One run per case is decisive: the reader sleeps before reading, so every output larger than the
// pipe's 64 KiB fills it and an exit before draining loses bytes every time, not by chance (with
// the drain in main.ts removed, all five lint cases fail in one run). PIPE_RUNS=N repeats.
const RUNS = Number(process.env['PIPE_RUNS'] ?? 1);

let work: string;
let many: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'exdef-pipe-'));
  // Many copies of one definition: every copy's id is a duplicate of all the others, so lint's
  // output is large (well over the pipe buffer in every format) and the exit code is 1.
  many = join(work, 'many-copies-of-one-definition-with-a-long-directory-name');
  mkdirSync(many);
  for (let i = 0; i < 30; i++) copyFileSync(join(packageRoot, 'definitions', 'phm-warehouse.exdef.yaml'), join(many, `copy-number-${String(i).padStart(2, '0')}-of-the-population-health-warehouse.exdef.yaml`));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The command's stdout written straight to a file, and its exit code. */
function toFile(args: string[]): { bytes: Buffer; status: number } {
  const path = join(work, 'stdout');
  const fd = openSync(path, 'w');
  try {
    const result = spawnSync(process.execPath, [bin, ...args], { cwd: packageRoot, env, stdio: ['ignore', fd, 'ignore'], timeout: 120_000 });
    return { bytes: readFileSync(path), status: result.status ?? -1 };
  } finally {
    closeSync(fd);
  }
}

/**
 * The command's stdout through a shell pipe into a reader that sleeps `delayMs` before reading
 * (`exdef ... | { sleep 0.3; cat; }`); the exit code is exdef's own (PIPESTATUS).
 */
function throughSlowPipe(args: string[], delayMs: number): { bytes: Buffer; status: number; stderr: string } {
  const script = `"$0" "$@" | { sleep ${delayMs / 1000}; cat; }; exit \${PIPESTATUS[0]}`;
  const result = spawnSync('bash', ['-c', script, process.execPath, bin, ...args], { cwd: packageRoot, env, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  return { bytes: result.stdout, status: result.status ?? -1, stderr: result.stderr.toString('utf8') };
}

const CASES: { name: string; args: () => string[]; json?: boolean; minBytes?: number }[] = [
  { name: 'lint --format sarif (findings, exit 1)', args: () => ['lint', many, '--format', 'sarif'], json: true, minBytes: 200_000 },
  { name: 'lint --format json (findings, exit 1)', args: () => ['lint', many, '--format', 'json'], json: true, minBytes: 100_000 },
  { name: 'lint stylish (findings, exit 1)', args: () => ['lint', many], minBytes: 100_000 },
  { name: 'lint --format junit (findings, exit 1)', args: () => ['lint', many, '--format', 'junit'], minBytes: 100_000 },
  { name: 'lint --format github (findings, exit 1)', args: () => ['lint', many, '--format', 'github'], minBytes: 100_000 },
  { name: 'compile (SQL)', args: () => ['compile', 'definitions/phm-warehouse.exdef'] },
  { name: 'compile --json', args: () => ['compile', 'definitions/phm-warehouse.exdef', '--json'], json: true },
  { name: 'rules --json', args: () => ['rules', '--json'], json: true },
  { name: 'schema', args: () => ['schema'], json: true },
  { name: 'diff --json (changes, exit 1)', args: () => ['diff', 'definitions/phm-warehouse.exdef', 'definitions/diabetes-recall.exdef', '--json'], json: true },
  { name: 'convert', args: () => ['convert', 'definitions/phm-warehouse.exdef', '--to', 'yaml'] },
  { name: 'help', args: () => ['help', 'run'] },
];

describe('piped output is never cut off', () => {
  it.each(CASES)('$name', ({ args, json, minBytes }) => {
    const expected = toFile(args());
    if (minBytes !== undefined) expect(expected.bytes.length).toBeGreaterThan(minBytes);
    if (json) expect(() => JSON.parse(expected.bytes.toString('utf8'))).not.toThrow();
    for (let run = 0; run < RUNS; run++) {
      const piped = throughSlowPipe(args(), 300);
      expect(piped.status, piped.stderr).toBe(expected.status);
      expect(piped.bytes.length, `run ${run + 1}: bytes through the pipe (stderr: ${piped.stderr})`).toBe(expected.bytes.length);
      expect(piped.bytes.equals(expected.bytes)).toBe(true);
    }
  }, 240_000);
});

/**
 * A reader that stops after a few bytes (`| head -c 10`) closes the pipe while exdef still writes:
 * the command ends as it would have (the same exit code as to a file), with no EPIPE stack trace.
 */
describe('a reader that stops early', () => {
  // Two formats are enough: the handler is the process's, not a format's.
  it.each(CASES.filter((c) => c.name.startsWith('lint --format sarif') || c.name.startsWith('lint stylish')))('$name | head -c 10', ({ args }) => {
    const expected = toFile(args());
    const script = `"$0" "$@" | head -c 10 >/dev/null; exit \${PIPESTATUS[0]}`;
    const result = spawnSync('bash', ['-c', script, process.execPath, bin, ...args()], { cwd: packageRoot, env, timeout: 120_000 });
    const stderr = result.stderr.toString('utf8');
    expect(stderr).not.toMatch(/EPIPE|at .*\(node:|Unhandled/);
    expect(result.status, stderr).toBe(expected.status);
  }, 240_000);
});
