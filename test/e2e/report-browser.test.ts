/**
 * `exdef report` through the built CLI, opened in a real headless browser (Debian's chromium via
 * playwright-core): for every shipped definition, in both syntaxes, the page loads with no console
 * error and no request at all beyond itself, screenshots, prints within an A4 page, and shows the
 * facts a reviewer decides on — title, legal basis, the population sentence, every field with its
 * classification. A fixture with lint findings shows them before the governance; --previous shows
 * the diff; --database shows the smallest group measured on a seeded database, on PGlite and (when
 * EXDEF_TEST_DATABASE_URL is set) PostgreSQL, checked against a count the test makes itself.
 * The refusals the command makes up front (an in-memory --database, an -o it cannot write) need
 * no browser and always run.
 *
 * Under CI=true the browser must be there: a missing chromium fails, never skips.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open-database.js';
import type { Database } from '../../src/db/database.js';
import type { ExtractDefinition } from '../../src/ir/extract-definition.js';
import { lintDefinitionFile } from '../../src/pipeline/lint-definition.js';
import { packageRoot, resources } from '../../src/resources.js';
import { describePopulation } from '../../src/report/describe-population.js';
import { renderHtml } from '../../src/report/render-html.js';
import { reviewDefinitionFile } from '../../src/report/review-definition.js';
import { bindParameters } from '../../src/sql/bind-parameters.js';
import { runCli } from '../support/cli.js';
import { compileFile, lintContext, shippedDefinitions, TODAY } from '../support/compile.js';
import { scratchDatabase, testEngines, type EngineName, type ScratchDatabase } from '../support/engines.js';
import { inCi } from '../../src/ci-environment.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const IN_CI = inCi();
const FIXTURE = 'test/fixtures/report/findings.exdef.yaml';
const PHM = 'definitions/phm-warehouse.exdef.yaml';
/** A4 at 96 dpi less the page's 14 mm margins: what a printed line has. */
const A4_PRINTABLE_PX = Math.floor(((210 - 2 * 14) / 25.4) * 96);

const run = promisify(execFile);

/** The built CLI, asynchronously (so several reports render at once). */
async function exdef(args: string[]): Promise<{ stdout: string; stderr: string }> {
  if (!existsSync(join(packageRoot, 'dist', 'src', 'cli', 'commands', 'report.js'))) throw new Error('the CLI is not built: run `npm run build` (npm test does it first)');
  try {
    return await run(process.execPath, [join(packageRoot, 'bin', 'run.js'), ...args], {
      cwd: packageRoot,
      env: { ...process.env, NO_COLOR: '1', EXDEF_DATABASE_URL: '' },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const e = error as { code?: number; stderr?: string };
    throw new Error(`exdef ${args.join(' ')} exited ${e.code}: ${e.stderr}`);
  }
}

/** Runs `jobs` two at a time (two cores). */
async function twoAtATime<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

if (!HAVE_CHROMIUM && !IN_CI) {
  console.warn(`report-browser tests skipped: no chromium at ${CHROMIUM} (install it, or set CHROMIUM_PATH)`);
}

describe('chromium', () => {
  it.runIf(IN_CI)('is installed (CI must run the browser tests)', () => {
    expect(HAVE_CHROMIUM, `CI=true but there is no chromium at ${CHROMIUM}: install it (apt-get install chromium) or set CHROMIUM_PATH`).toBe(true);
  });
});

describe.skipIf(!HAVE_CHROMIUM && !IN_CI)('exdef report in a headless browser', () => {
  let work: string;
  let browser: Browser;
  const pages = new Map<string, string>();
  /** Each engine's measured report of phm-warehouse, and the database to check it on. */
  const measured = new Map<EngineName, { html: string; url: string; scratch?: ScratchDatabase }>();
  const files = shippedDefinitions();
  const started = Date.now();

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) throw new Error(`CI=true but there is no chromium at ${CHROMIUM}`);
    work = mkdtempSync(join(tmpdir(), 'exdef-report-browser-'));
    const { chromium } = await import('playwright-core');
    const launching = chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });

    const pgliteUrl = `pglite:${join(work, 'db')}`;
    const engines = testEngines();
    const scratch = engines.includes('postgres') ? await scratchDatabase('postgres') : undefined;
    const seed = (url: string) => exdef(['db', 'seed', '--database', url, '--patients', '200', '--practices', '3', '--seed', '7', '--as-of', TODAY, '--json']);
    const previous = join(work, 'chis-approved.exdef.yaml');
    writeFileSync(
      previous,
      readFileSync(join(resources.definitions, 'chis-immunisations.exdef.yaml'), 'utf8')
        .replace(/ {6}- name: birth_month\n(?: {8}.*\n)+/, '')
        .replace('line_ending: crlf', 'line_ending: lf'),
    );
    const render = (key: string, args: string[]) => async () => {
      const out = join(work, `${key.replace(/[^a-z0-9.-]/gi, '_')}.html`);
      await exdef(['report', ...args, '--today', TODAY, '-o', out]);
      pages.set(key, readFileSync(out, 'utf8'));
    };
    // The CLI seeds, measures, diffs and reports the fixture (two processes at a time) while the
    // shipped definitions are rendered here by the library the command calls.
    const cli = twoAtATime<unknown>([
      async () => {
        await seed(pgliteUrl);
        await render('measured:pglite', [PHM, '--database', pgliteUrl])();
      },
      ...(scratch
        ? [
            async () => {
              await seed(scratch.url);
              await render('measured:postgres', [PHM, '--database', scratch.url])();
            },
          ]
        : []),
      render('fixture', [FIXTURE]),
      render('diff', ['definitions/chis-immunisations.exdef.yaml', '--previous', previous]),
    ]);
    const context = await lintContext();
    for (const file of files) {
      const outcome = await reviewDefinitionFile(file, { context });
      if ('unusable' in outcome) throw new Error(`${file} does not resolve`);
      pages.set(file, renderHtml(outcome.report));
    }
    await cli;
    measured.set('pglite', { html: pages.get('measured:pglite')!, url: pgliteUrl });
    if (scratch) measured.set('postgres', { html: pages.get('measured:postgres')!, url: scratch.url, scratch });
    browser = await launching;
  });

  afterAll(async () => {
    await browser?.close();
    for (const m of measured.values()) await m.scratch?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
    console.log(`report-browser: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  /** Loads a page with every request refused and recorded: the page must need none. */
  async function open(html: string): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on('requestfailed', (r) => problems.push(`failed request: ${r.url()}`));
    await page.route('**/*', (route) => {
      problems.push(`request: ${route.request().url()}`);
      return route.abort();
    });
    await page.setContent(html, { waitUntil: 'load' });
    return { page, problems };
  }

  async function screenshotIsAPicture(page: Page, name: string): Promise<void> {
    const path = join(work, `${name.replace(/[^a-z0-9.-]/gi, '_')}.png`);
    await page.screenshot({ path });
    const png = readFileSync(path);
    expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    expect(png.readUInt32BE(16)).toBe(1100);
    expect(png.readUInt32BE(20)).toBe(900);
    expect(statSync(path).size).toBeGreaterThan(20_000);
  }

  /** In print media at A4 width, nothing is wider than the page. */
  async function printsWithinThePage(page: Page): Promise<void> {
    await page.emulateMedia({ media: 'print' });
    await page.setViewportSize({ width: A4_PRINTABLE_PX, height: 1000 });
    // Run in the page (a string: this file is type-checked without the DOM library).
    const overflow = (await page.evaluate(`(() => {
      const width = document.documentElement.clientWidth;
      const wide = [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > width + 1)
        .map((e) => e.tagName.toLowerCase() + '.' + e.className + ' (' + Math.round(e.getBoundingClientRect().right) + ' px)');
      return { scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 5) };
    })()`)) as { scroll: number; width: number; wide: string[] };
    expect(overflow.wide).toEqual([]);
    expect(overflow.scroll).toBeLessThanOrEqual(overflow.width);
    expect(await page.locator('nav').isVisible()).toBe(false);
  }

  for (const file of files) {
    it(`${file}: loads clean, screenshots, prints, and shows what the reviewer decides on`, async () => {
      const context = await lintContext();
      const definition = lintDefinitionFile(file, context).definition!;
      const { page, problems } = await open(pages.get(file)!);
      try {
        const body = await page.innerText('body');
        expect(body).toContain(definition.title);
        expect(body).toContain(definition.legalBasis.article6!);
        expect(body).toContain(definition.legalBasis.article9!);
        expect(await page.innerText('.population-sentence')).toBe(describePopulation(definition, context.catalogue));
        expect(await fieldRows(page)).toEqual(expectedFieldRows(definition));
        expect(await page.innerText('#findings')).toMatch(/disclosure-risk|No findings/);
        expect(await page.innerText('#sql')).toContain('population.sql');
        await screenshotIsAPicture(page, file);
        await printsWithinThePage(page);
        expect(problems).toEqual([]);
      } finally {
        await page.close();
      }
    });
  }

  it('a definition with lint findings shows them first, its hostile title as text, and still prints (PDF)', async () => {
    const { page, problems } = await open(pages.get('fixture')!);
    try {
      const main = await page.innerText('main');
      const governance = main.indexOf('Purpose and governance');
      expect(governance).toBeGreaterThan(0);
      for (const rule of ['justification-meaningful', 'generalise-quasi-identifiers', 'disclosure-risk']) {
        expect(main.indexOf(rule)).toBeGreaterThan(-1);
        expect(main.indexOf(rule)).toBeLessThan(governance);
      }
      expect(main).toContain(`${FIXTURE}:67:24`);
      expect(main).toContain('Every field has a justification that says why that field is needed');
      expect(await page.innerText('h1')).toBe('<script>alert(1)</script> Warehouse & "friends" <img src=https://example.invalid/x.png onerror=alert(2)>');
      expect(await page.locator('script, img').count()).toBe(0);
      expect(await page.innerText('.verdict')).toContain('2 lint errors');
      expect(await page.innerText('#sql')).toContain('never compiled');
      await screenshotIsAPicture(page, 'fixture');
      await printsWithinThePage(page);
      const pdf = await page.pdf({ format: 'A4' });
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect(pdf.length).toBeGreaterThan(20_000);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('--previous shows each change with its class, needs-ig-review first', async () => {
    const { page, problems } = await open(pages.get('diff')!);
    try {
      const changes = await page.innerText('#changes');
      expect(changes).toContain('Needs IG review (1)');
      expect(changes).toContain('field-added');
      expect(changes).toContain('datasets.children.fields.birth_month');
      expect(changes).toContain('No effect on the data (1)');
      expect(changes.indexOf('Needs IG review')).toBeLessThan(changes.indexOf('No effect on the data'));
      const main = await page.innerText('main');
      expect(main.indexOf('Changes since the previous version')).toBeLessThan(main.indexOf('Purpose and governance'));
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('--database shows the smallest group measured on the data, on every engine, as the test counts it', async () => {
    const plan = await compileFile(PHM);
    const people = plan.datasets.find((d) => d.name === 'people')!;
    const results = new Map<EngineName, number>();
    for (const [engine, m] of measured) {
      // The test's own count: the people rows a run would write, grouped by their quasi-identifiers.
      const db: Database = m.scratch ? m.scratch.db : await openDatabase({ url: m.url });
      let k: number;
      let groups: number;
      try {
        const rows = await db.query(people.full.sql, bindParameters(plan, people.full, { snapshotDate: TODAY, keys: new Map([['phm-icb-key', 'k'.repeat(40)]]) }));
        const counts = new Map<string, number>();
        for (const row of rows) {
          const key = people.disclosure.quasiIdentifiers.map((q) => String(row[q])).join('|');
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        expect(rows.length).toBeGreaterThan(100);
        k = Math.min(...counts.values());
        groups = counts.size;
      } finally {
        if (!m.scratch) await db.close();
      }
      const { page, problems } = await open(m.html);
      try {
        const disclosure = await page.innerText('#disclosure');
        expect(disclosure).toContain(`k = ${k} (${groups} groups; threshold 10)`);
        expect(disclosure).toMatch(/Measured on (embedded PGlite database at|postgres:\/\/)/);
        expect(problems).toEqual([]);
      } finally {
        await page.close();
      }
      results.set(engine, k);
    }
    expect(results.size).toBe(testEngines().length);
    // The same seed gives the same data, so both engines measure the same k.
    expect(new Set(results.values()).size).toBe(1);
  });
});

/** Refusals the command makes up front: one line on stderr, exit code 2, no stack trace; no browser needed. */
describe('exdef report refuses', () => {
  const oneLine = (stderr: string) => stderr.trim().split('\n');

  it.each(['memory:', 'pglite:memory'])('--database %s: an in-memory database is empty, there is nothing to measure', (url) => {
    const result = runCli(['report', PHM, '--database', url, '--today', TODAY]);
    expect(result.status).toBe(2);
    expect(oneLine(result.stderr)).toEqual([
      `error: --database ${url} is an empty in-memory database with nothing to measure: give a PostgreSQL URL (postgres://user@host:port/db) or pglite:DIR holding the reporting data`,
    ]);
    expect(result.stdout).toBe('');
  });

  it('-o in a directory that does not exist: exit 2, as documented, with one line', () => {
    const result = runCli(['report', PHM, '--today', TODAY, '-o', '/nonexistent/x.html']);
    expect(result.status).toBe(2);
    expect(oneLine(result.stderr)).toEqual(['error: cannot write /nonexistent/x.html: no such directory']);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

/** [output name, classification word] of every field row on the page, in order. */
async function fieldRows(page: Page): Promise<string[][]> {
  return (await page.evaluate(`[...document.querySelectorAll('tr.field')].map((r) => [r.children[0].innerText.trim(), r.children[2].innerText.trim()])`)) as string[][];
}

function expectedFieldRows(definition: ExtractDefinition): string[][] {
  return definition.datasets.flatMap((d) => d.fields.map((f) => [f.name, f.sourceClassification.replace(/_/g, ' ')]));
}
