import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/resources.js';

/**
 * docs/getting-started.md, done as a newcomer would: every `sh` block after the set-up is run in
 * order in an empty directory, the YAML blocks are written where the page says, and each TODO is
 * replaced by a real sentence as the page tells the author to. If the page stops being true,
 * this fails.
 */
const page = readFileSync(join(packageRoot, 'docs', 'getting-started.md'), 'utf8');
const blocks = [...page.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, text: m[2]! }));
const shell = blocks.filter((b) => b.lang === 'sh').map((b) => b.text);
const yaml = blocks.filter((b) => b.lang === 'yaml').map((b) => b.text);

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'exdef-getting-started-'));
  mkdirSync(join(work, 'definitions'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function sh(script: string): { status: number; output: string } {
  const exdef = `exdef() { ${JSON.stringify(process.execPath)} ${JSON.stringify(join(packageRoot, 'bin', 'run.js'))} "$@"; }\n`;
  const r = spawnSync('bash', ['-c', `${exdef}${script}`], { cwd: work, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', EXDEF_DATABASE_URL: '' }, timeout: 240_000 });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** The step's command block: the one that starts with `exdef VERB`. */
function step(verb: string): string {
  const found = shell.filter((s) => new RegExp(`^exdef ${verb} `, 'm').test(s));
  expect(found, `one \`exdef ${verb}\` block in docs/getting-started.md`).toHaveLength(1);
  return found[0]!;
}

describe('docs/getting-started.md', () => {
  it('has the set-up, init, lint, test, report, compile and run steps, in that order', () => {
    expect(shell[0]).toMatch(/npm ci && npm run build/);
    const verbs = shell.slice(1).map((s) => /^exdef (\w+)/m.exec(s)?.[1]);
    expect(verbs).toEqual(['init', 'lint', 'test', 'report', 'compile', 'approve', 'run']);
    expect(yaml).toHaveLength(3);
  });

  it('works as written, from an empty directory to an extract', () => {
    const init = sh(step('init'));
    expect(init.status, init.output).toBe(0);
    const file = join(work, /^wrote (\S+)$/m.exec(init.output)![1]!);

    // The author: the page's example dataset in place of the scaffold's, and every TODO written.
    let text = readFileSync(file, 'utf8');
    text = `${text.slice(0, text.indexOf('datasets:'))}${yaml[0]}`;
    let n = 0;
    // Each a real text about its own subject: one sentence with a number changed would be a near copy.
    const written = [
      'Call and recall of adults due a long-term condition review at the practice.',
      '6(1)(e) public task',
      '9(2)(h) management of health care systems',
      'The practice, as data controller, commissions this review programme under its contract.',
      'DPIA-2026-101',
      'Year bands and districts only; the smallest group is expected to hold dozens of people.',
      'Nothing else is joined: the recipient deletes each cycle after its invitations are sent.',
      'Caldicott Guardian of the practice',
      'Invitation letters are matched to the patient record by this number.',
      'Clinics are booked by age, because recall intervals differ for older adults.',
      'Surgery staff follow up missed appointments by telephone within a week.',
      'Pharmacy colleagues check repeat medication during the same visit.',
    ];
    text = text.replace(/"TODO:[^"\n]*"/g, () => `"${written[n++] ?? `Specific text ${n} the author wrote.`}"`);
    expect(n).toBeGreaterThanOrEqual(8);
    writeFileSync(file, text);

    // Lint: only the review date, which is the reviewer's, is left.
    const lint = sh(step('lint'));
    expect(lint.status, lint.output).toBe(1);
    expect(lint.output).toMatch(/✖ 1 file checked: 1 error/);
    expect(lint.output).toMatch(/missing the date of the last review \(review\.last_reviewed\) \[governance-complete\]/);

    const testCommand = step('test');
    const testFile = /exdef test (\S+)/.exec(testCommand)![1]!;
    writeFileSync(join(work, testFile), yaml[1]!);
    const tested = sh(testCommand);
    expect(tested.status, tested.output).toBe(0);
    expect(tested.output).toMatch(/^PASS /m);

    const report = sh(step('report'));
    expect(report.status, report.output).toBe(0);
    expect(existsSync(join(work, /-o (\S+)/.exec(step('report'))![1]!))).toBe(true);

    // Approved: the reviewer dates it as the page shows, and lint is clean.
    const approval = /last_reviewed: (\S+)\n\s+reviewer: (.+)\n/.exec(yaml[2]!)!;
    text = text.replace(/review:\n(?: {2}#[^\n]*\n)? {2}reviewer: [^\n]*\n/, `review:\n  last_reviewed: ${approval[1]}\n  reviewer: ${approval[2]}\n`);
    expect(text).toContain(`last_reviewed: ${approval[1]}`);
    writeFileSync(file, text);
    const clean = sh(step('lint'));
    expect(clean.status, clean.output).toBe(0);

    const compile = sh(step('compile'));
    expect(compile.status, compile.output).toBe(0);
    expect(readdirSync(join(work, /-o (\S+)/.exec(step('compile'))![1]!)).sort()).toContain('plan.json');

    const approve = sh(step('approve'));
    expect(approve.status, approve.output).toBe(0);
    const run = sh(step('run'));
    expect(run.status, run.output).toBe(0);
    // The paths the page promises.
    const zip = /`(extracts\/[^`]+)<time>Z_full\.zip`/.exec(page)![1]!;
    const log = /`(extracts\/[^`]+\/logs\/im1_bulk_log_[\d-]+\.txt)`/.exec(page)![1]!;
    const dir = join(work, zip.slice(0, zip.lastIndexOf('/')));
    const prefix = zip.slice(zip.lastIndexOf('/') + 1);
    expect(readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('Z_full.zip'))).toHaveLength(1);
    expect(readFileSync(join(work, log), 'utf8')).toMatch(/^Status: COMPLETE$/m);
  }, 300_000);
});
