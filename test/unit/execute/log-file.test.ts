import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFailedLog, writeLogFile } from '../../../src/execute/log-file.js';
import { makeDirectory } from '../../../src/execute/make-directory.js';

let out: string;
beforeEach(() => {
  out = mkdtempSync(join(tmpdir(), 'exdef-log-'));
});
afterEach(() => rmSync(out, { recursive: true, force: true }));

const DATE = '2026-11-21';
const at = (time: string) => new Date(`2026-11-21T${time}Z`);
const daily = () => readFileSync(join(out, 'logs', `im1_bulk_log_${DATE}.txt`), 'utf8');

describe('the log files of an extract date (issue 12 item 2)', () => {
  it('a failed run never replaces the COMPLETE log; each failure is kept beside it', () => {
    writeLogFile(out, DATE, { status: 'COMPLETE', started: at('01:00:00'), completed: at('01:01:34'), errors: 0, files: 5 });
    const complete = daily();
    writeFailedLog(out, DATE, { started: at('09:15:02'), completed: at('09:15:03'), files: 0, reason: 'cannot connect' });
    writeFailedLog(out, DATE, { started: at('09:15:02'), completed: at('09:15:04'), files: 0, reason: 'cannot connect again' });
    expect(daily()).toBe(complete);
    expect(readdirSync(join(out, 'logs')).sort()).toEqual([`im1_bulk_log_${DATE}.failed-091502-2.txt`, `im1_bulk_log_${DATE}.failed-091502.txt`, `im1_bulk_log_${DATE}.txt`]);
    expect(readFileSync(join(out, 'logs', `im1_bulk_log_${DATE}.failed-091502-2.txt`), 'utf8')).toMatch(/^Status: FAILED\n[^]*^Reason: cannot connect again$/m);
  });

  it('until a run completes, the day\'s log is the latest failure; a run that completes replaces it', () => {
    writeFailedLog(out, DATE, { started: at('01:00:00'), completed: at('01:00:01'), files: 0, reason: 'first' });
    writeFailedLog(out, DATE, { started: at('02:00:00'), completed: at('02:00:01'), files: 0, reason: 'second' });
    expect(daily()).toMatch(/^Status: FAILED\n[^]*Reason: second\n$/);
    writeLogFile(out, DATE, { status: 'COMPLETE', started: at('03:00:00'), completed: at('03:00:10'), errors: 0, files: 2 });
    expect(daily()).toMatch(/^Status: COMPLETE\n/);
  });

  it('a log that cannot be written is not an error of its own (the failure message says why)', () => {
    expect(writeFailedLog('/proc/exdef-no', DATE, { started: at('01:00:00'), completed: at('01:00:01'), files: 0, reason: 'x' })).toBeUndefined();
  });
});

describe('makeDirectory', () => {
  it('makes the missing directories, and ends with an error under /proc (Node\'s recursive mkdirSync never returns there)', () => {
    makeDirectory(join(out, 'a', 'b', 'c'));
    expect(readdirSync(join(out, 'a', 'b'))).toEqual(['c']);
    expect(() => makeDirectory('/proc/exdef-no/x')).toThrow(/ENOENT|no such/);
  });
});
