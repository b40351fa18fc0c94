/**
 * The one failure path of a run (src/execute/run/fail.ts): whatever stage fails, the temporary
 * directory is gone, a FAILED log says why, and the delta state is as it was.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExdefError } from '../../../src/failure.js';
import { failRun } from '../../../src/execute/run/fail.js';
import { comparisonDefinition, InjectedCrash, runInProcess, seedSmall } from '../../support/delta-recipient.js';
import { scratchDatabase, type ScratchDatabase } from '../../support/engines.js';
import { makeWorkDir, stateRows, writeKeysFile } from '../../support/run-harness.js';

const started = new Date('2026-11-22T02:00:00Z');
const completed = new Date('2026-11-22T02:00:05Z');

function logsOf(out: string): string[] {
  const logs = join(out, 'logs');
  return existsSync(logs) ? readdirSync(logs).sort() : [];
}

describe('failRun', () => {
  const work = makeWorkDir('exdef-fail-');
  afterAll(() => work.remove());

  it('removes the temporary directory and writes a FAILED log with the reason', () => {
    const out = join(work.dir, 'a');
    const temporary = join(out, '.exdef-run-1-00000000');
    mkdirSync(join(temporary, 'sub'), { recursive: true });
    writeFileSync(join(temporary, 'sub', 'people.csv'), 'x\n');
    const error = failRun(new ExdefError('the disclosure check failed', { exitCode: 1, step: 'disclosure check' }), { out, extractDate: '2026-11-22', started, completed, files: 0, work: temporary, step: 'measuring' });
    expect((error as Error).message).toBe('the disclosure check failed');
    expect(existsSync(temporary)).toBe(false);
    expect(logsOf(out)).toEqual(['im1_bulk_log_2026-11-22.failed-020000.txt', 'im1_bulk_log_2026-11-22.txt']);
    const log = readFileSync(join(out, 'logs', 'im1_bulk_log_2026-11-22.txt'), 'utf8');
    expect(log).toMatch(/^Status: FAILED\n/);
    expect(log).toMatch(/^Reason: the disclosure check failed$/m);
  });

  it('turns an error of the system into one line that says where, and logs an unexpected one as internal', () => {
    const out = join(work.dir, 'b');
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', path: '/x/people.csv' });
    const mapped = failRun(full, { out, extractDate: '2026-11-22', started, completed, files: 1, step: 'extracting dataset people' });
    expect((mapped as Error).message).toBe('extracting dataset people: the disk is full (/x/people.csv)');
    const bug = new TypeError('x is undefined');
    expect(failRun(bug, { out: join(work.dir, 'c'), extractDate: '2026-11-22', started, completed, files: 0, step: 'packaging' })).toBe(bug);
    expect(readFileSync(join(work.dir, 'c', 'logs', 'im1_bulk_log_2026-11-22.txt'), 'utf8')).toMatch(/^Reason: internal error: x is undefined$/m);
  });

  it('writes no log for a usage error, a run not yet due, or a run refused for another one going', () => {
    for (const step of ['output', 'practices', 'schedule', 'lock']) {
      const out = join(work.dir, `quiet-${step}`);
      mkdirSync(out);
      failRun(new ExdefError('no', { exitCode: 2, step }), { out, extractDate: '2026-11-22', started, completed, files: 0, step: 'x' });
      expect(logsOf(out), step).toEqual([]);
    }
  });
});

describe('a run that fails at a stage', () => {
  const work = makeWorkDir('exdef-fail-run-');
  let scratch: ScratchDatabase;
  let keys: string;
  const file = join(work.dir, 'failing-feed.exdef.yaml');
  const out = join(work.dir, 'out');

  beforeAll(async () => {
    scratch = await scratchDatabase('pglite');
    await seedSmall(scratch.db, { patients: 60, seed: 7, asOf: '2026-11-21' });
    keys = writeKeysFile(join(work.dir, 'keys.yaml'), { unused: 'k'.repeat(40) });
    writeFileSync(file, comparisonDefinition('failing-feed', 'delete'));
    const first = await runInProcess({ definition: file, db: scratch.db, out, today: '2026-11-21', keysFile: keys });
    expect(first.mode).toBe('full');
  }, 120_000);
  afterAll(async () => {
    await scratch?.drop();
    work.remove();
  });

  it.each(['reading the population', 'measuring k-anonymity', 'packaging', 'delivered'])('failing at %s leaves no temporary directory, a FAILED log, and the state untouched', async (at) => {
    const before = await stateRows(scratch.db);
    const zips = readdirSync(out).filter((f) => f.endsWith('.zip'));
    await expect(runInProcess({ definition: file, db: scratch.db, out, today: '2026-11-22', keysFile: keys, crash: at === 'delivered' ? 'delivered' : { step: at } })).rejects.toBeInstanceOf(InjectedCrash);
    expect(readdirSync(out).filter((f) => f.startsWith('.exdef-run-')), 'no temporary directory').toEqual([]);
    const failed = logsOf(out).filter((f) => f.includes('.failed-'));
    expect(failed.length).toBeGreaterThan(0);
    const log = readFileSync(join(out, 'logs', failed.at(-1)!), 'utf8');
    expect(log).toMatch(/^Status: FAILED\n/);
    expect(log).toMatch(/^Reason: internal error: injected crash/m);
    expect(await stateRows(scratch.db), 'the state as it was').toBe(before);
    const unsaved = await scratch.db.query<{ mode: string }>("SELECT mode FROM exdef_state.unsaved_full WHERE definition_id = 'failing-feed'");
    if (at !== 'delivered') {
      expect(readdirSync(out).filter((f) => f.endsWith('.zip')), 'nothing placed').toEqual(zips);
      expect(unsaved, 'nothing marked as placed').toEqual([]);
    } else {
      // Placed before the crash: marked, so that the next run repeats a full rather than a delta against the old state.
      expect(unsaved).toEqual([{ mode: 'delta' }]);
    }
  }, 120_000);
});
