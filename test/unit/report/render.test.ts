/**
 * The review page: findings first with their rule's explanation, hostile text escaped (HTML and
 * Markdown), the semantic diff with --previous, the SQL (or why there is none), and Markdown
 * saying what the HTML says.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../../../src/resources.js';
import { renderHtml } from '../../../src/report/render-html.js';
import { escapeMarkdown, renderMarkdown } from '../../../src/report/render-markdown.js';
import { reviewDefinitionFile } from '../../../src/report/review-definition.js';
import type { ReviewReport } from '../../../src/report/review-report.js';
import { lintContext } from '../../support/compile.js';

const FIXTURE = 'test/fixtures/report/findings.exdef.yaml';
const HOSTILE_TITLE = '<script>alert(1)</script> Warehouse & "friends" <img src=https://example.invalid/x.png onerror=alert(2)>';

async function review(file: string, previous?: string): Promise<ReviewReport> {
  const outcome = await reviewDefinitionFile(file, { context: await lintContext(), ...(previous ? { previous } : {}) });
  if ('unusable' in outcome) throw new Error(`${file} is unusable: ${outcome.unusable.diagnostics.map((d) => d.message).join('; ')}`);
  return outcome.report;
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'exdef-report-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('a definition with lint findings', () => {
  it('shows every finding first, with its rule, place and explanation, and no SQL', async () => {
    const report = await review(FIXTURE);
    // people shows year(date_of_birth) and the full date_of_birth: the full date counts (it singles people out).
    expect(report.findings.counts).toEqual({ error: 2, warning: 1, info: 0 });
    const html = renderHtml(report);
    const main = html.slice(html.indexOf('<main>'));
    expect(main.indexOf('<section id="findings">')).toBeGreaterThan(0);
    for (const rule of ['disclosure-risk', 'generalise-quasi-identifiers', 'justification-meaningful']) {
      expect(main.indexOf(rule)).toBeGreaterThan(main.indexOf('<section id="findings">'));
      expect(main.indexOf(rule)).toBeLessThan(main.indexOf('<section id="governance">'));
    }
    expect(html).toContain(`${FIXTURE}:67:24`);
    expect(html).toContain('generalise-quasi-identifiers');
    // The rule's explanation (its meta), quoted from the policy.
    expect(html).toContain('Every field has a justification that says why that field is needed');
    expect(html).toContain('Minimisation of Data Egress');
    expect(html).toContain('This definition has 2 lint errors: as written it cannot be compiled or run.');
    expect(report.sql.compiled).toBe(false);
    expect(html).toContain('a definition with errors is never compiled, so there is no SQL to show');
    expect(report.disclosure.notMeasured).toMatch(/lint errors/);
  });

  it('orders the findings errors first, then warnings, then notes, each by its place in the file', async () => {
    // A second error, further down the file than the note and the warning; people generalised (its
    // score a note), and blood_pressure's pseudonym keyed as people's but of another identifier (a warning).
    const file = join(work, 'two-errors.exdef.yaml');
    const text = readFileSync(FIXTURE, 'utf8')
      .replace('justification: Links each diagnosis to the person.', 'justification: needed')
      .replace('value: date_of_birth\n', 'value: age_band(date_of_birth)\n');
    const bloodPressure = text.indexOf('- name: blood_pressure');
    writeFileSync(file, text.slice(0, bloodPressure) + text.slice(bloodPressure).replace("pseudonym(patient.nhs_number, 'phm-icb-key')", "pseudonym(patient_id, 'phm-icb-key')"));
    const report = await review(file);
    const items = report.findings.items;
    expect(items.map((f) => f.severity)).toEqual(['error', 'error', 'warning', 'info']);
    const line = (f: (typeof items)[number]) => Number(/:(\d+):\d+$/.exec(f.location!)![1]);
    expect(line(items[0]!)).toBeLessThan(line(items[1]!));
    // The note is earliest in the file, yet comes last.
    expect(line(items[3]!)).toBeLessThan(line(items[0]!));
    const html = renderHtml(report);
    expect(html.indexOf('<article class="finding error">')).toBeLessThan(html.indexOf('<article class="finding warning">'));
    expect(html.indexOf('<article class="finding warning">')).toBeLessThan(html.indexOf('<article class="finding info">'));
    expect(html).toContain('2 errors, 1 warning, 1 note: errors first, then warnings, then notes, each in the order they appear in the file.');
    const md = renderMarkdown(report);
    const mdFindings = md.slice(md.indexOf('## Findings'), md.indexOf('\n## ', md.indexOf('## Findings')));
    expect(mdFindings.split('\n').filter((l) => l.startsWith('- **')).map((l) => /^- \*\*(\w+)\*\*/.exec(l)![1])).toEqual(['error', 'error', 'warning', 'info']);
  });

  it('shows the CSV quote and delimiter characters plainly, not escaped', async () => {
    const report = await review(FIXTURE);
    const output = report.governance.find((g) => g.label === 'Output')!.value!;
    expect(output).toBe('one ZIP with a folder of CSV files per practice; CSV fields separated by a pipe (|) and quoted with a double quote ("), with a header row, LF line endings');
    expect(renderHtml(report)).toContain('quoted with a double quote (&#34;)');
    expect(renderMarkdown(report)).toContain('quoted with a double quote (")');
    expect(renderHtml(report) + renderMarkdown(report)).not.toContain('\\"');
  });

  it('escapes the hostile title and every other value in HTML', async () => {
    const html = renderHtml(await review(FIXTURE));
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('example.invalid/x.png onerror=alert(2)>');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62; Warehouse &#38; &#34;friends&#34; &#60;img src=https://example.invalid/x.png onerror=alert(2)&#62;');
    // The title element too: text, not markup.
    expect(html).toMatch(/<title>IG review: &#60;script&#62;alert\(1\)/);
    // No external asset, no script of any kind.
    expect(html).not.toMatch(/<(script|link|img|iframe|object|embed)\b/i);
    expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//i);
  });

  it('escapes the hostile title in Markdown, where raw HTML would otherwise pass through', async () => {
    const md = renderMarkdown(await review(FIXTURE));
    expect(md).not.toContain('<script');
    expect(md).not.toContain('<img');
    expect(md.split('\n')[0]).toBe('# IG review: &#60;script&#62;alert(1)&#60;/script&#62; Warehouse &#38; "friends" &#60;img src=https://example.invalid/x.png onerror=alert(2)&#62;');
    expect(escapeMarkdown('a | b\nc *d* `e`')).toBe('a \\| b c \\*d\\* \\`e\\`');
    expect(HOSTILE_TITLE).toBe((await review(FIXTURE)).identity.title);
  });
});

describe('a definition that lints clean', () => {
  it('says so, and shows every field with its classification, transform and justification', async () => {
    const report = await review(join(resources.definitions, 'chis-immunisations.exdef.yaml'));
    expect(report.findings.counts.error + report.findings.counts.warning).toBe(0);
    const html = renderHtml(report);
    expect(html).toContain('This definition lints clean: no errors and no warnings.');
    const rows = [...html.matchAll(/<tr class="field class-(\w+)"><td><code class="field-name">([^<]+)<\/code>/g)].map((m) => `${m[2]}:${m[1]}`);
    expect(rows).toEqual([
      'nhs_number:direct_identifier',
      'birth_month:quasi_identifier',
      'practice:administrative',
      'nhs_number:direct_identifier',
      'vaccination_code:clinical',
      'vaccination_date:clinical',
    ]);
    // The word is printed, not only the colour.
    expect(html).toMatch(/<span class="badge class class-quasi_identifier">quasi identifier<\/span>/);
    expect(html).toContain('as its month');
    expect(html).toContain('The schedule of due immunisations depends on the child&#39;s age in months.');
    expect(html).toContain('9(2)(h) provision of health care');
  });

  it('shows the exact SQL of every query with each parameter explained', async () => {
    const report = await review(join(resources.definitions, 'phm-warehouse.exdef.yaml'));
    expect(report.sql.compiled).toBe(true);
    if (!report.sql.compiled) return;
    expect(report.sql.queries.map((q) => q.file)).toEqual(['population.sql', 'people.sql', 'people.k-anonymity.sql', 'long_term_conditions.sql', 'long_term_conditions.k-anonymity.sql', 'blood_pressure.sql', 'blood_pressure.k-anonymity.sql']);
    const population = report.sql.queries[0]!;
    const practices = population.parameters.find((p) => p.name === 'practices')!;
    expect(practices.shownValue).toBe('A81001, A81002, A81003');
    expect(practices.meaning).toBe('the practices in scope (ODS codes)');
    const snapshot = population.parameters.find((p) => p.name === 'snapshot_date')!;
    expect(snapshot.shownValue).toBe('given at run time');
    const people = report.sql.queries[1]!;
    expect(people.sql).toMatch(/^WITH/);
    expect(people.parameters.find((p) => p.source === 'key')?.shownValue).toBe('given at run time (never written anywhere)');
    // Each $n of the SQL has its row.
    const placeholders = new Set([...people.sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    expect(people.parameters.map((p) => Number(p.placeholder.slice(1)))).toEqual([...placeholders].sort((a, b) => a - b));
    const md = renderMarkdown(report);
    expect(md).toContain('### The population (`population.sql`)');
    expect(md).toContain('```sql\nWITH');
  });
});

describe('the semantic diff against --previous', () => {
  it('lists each change with its class, what needs IG review first and prominently', async () => {
    const current = join(resources.definitions, 'chis-immunisations.exdef.yaml');
    const text = readFileSync(current, 'utf8');
    // The approved version had no birth_month field, and a narrower population.
    const previous = join(work, 'chis-approved.exdef.yaml');
    const without = text
      .replace(/ {6}- name: birth_month\n(?: {8}.*\n)+/, '')
      .replace('age_years(date_of_birth) < 20', 'age_years(date_of_birth) < 18')
      .replace('line_ending: crlf', 'line_ending: lf');
    expect(without).not.toBe(text);
    writeFileSync(previous, without);
    const report = await review(current, previous);
    const diff = report.diff!;
    expect(diff.changes.map((c) => `${c.class} ${c.kind}`)).toEqual(
      expect.arrayContaining(['needs-ig-review field-added', 'needs-ig-review population-widened', 'no-effect output-changed']),
    );
    const html = renderHtml(report);
    expect(html.indexOf('id="changes"')).toBeGreaterThan(html.indexOf('id="findings"'));
    expect(html.indexOf('id="changes"')).toBeLessThan(html.indexOf('id="governance"'));
    const review_ = html.indexOf('<div class="changes needs-ig-review">');
    const noEffect = html.indexOf('<div class="changes no-effect">');
    expect(review_).toBeGreaterThan(0);
    expect(noEffect).toBeGreaterThan(review_);
    expect(html).toContain('Needs IG review (2)');
    expect(html).toContain('datasets.children.fields.birth_month');
    const md = renderMarkdown(report);
    expect(md).toContain('### ⚠ Needs IG review (2)');
    expect(md).toMatch(/\| \*\*needs-ig-review\*\* \| `field-added` `datasets.children.fields.birth_month` \|/);
  });

  it('warns first, prominently, when --previous is a different extract', async () => {
    const report = await review(join(resources.definitions, 'chis-immunisations.exdef.yaml'), join(resources.definitions, 'phm-warehouse.exdef.yaml'));
    const warning =
      'A different extract was compared: the previous version given is phm-warehouse, this definition is chis-immunisations. The changes below are between two different extracts, not two versions of this one; compare it with the approved version of chis-immunisations.';
    const html = renderHtml(report);
    const changes = html.slice(html.indexOf('<section id="changes">'));
    expect(changes).toMatch(/^<section id="changes">\s*<h2>[^<]*<\/h2>\s*<p class="verdict bad different-extract" role="alert"><strong>Warning:<\/strong> /);
    expect(changes).toContain(warning);
    const md = renderMarkdown(report);
    expect(md).toContain(`## Changes since the previous version\n\n> **⚠ Warning:** ${warning}\n\nCompared with`);
    // The same extract, another version: no warning.
    const same = await review(join(resources.definitions, 'chis-immunisations.exdef.yaml'), join(resources.definitions, 'chis-immunisations.exdef'));
    expect(renderHtml(same)).not.toContain('different-extract');
    expect(renderMarkdown(same)).not.toContain('A different extract was compared');
  });

  it('has no diff section without --previous', async () => {
    const report = await review(join(resources.definitions, 'chis-immunisations.exdef'));
    expect(report.diff).toBeUndefined();
    expect(renderHtml(report)).not.toContain('id="changes"');
  });

  it('refuses a previous version that does not resolve', async () => {
    const broken = join(work, 'broken.exdef.yaml');
    writeFileSync(broken, 'exdef: 1\nid: broken\n');
    const outcome = await reviewDefinitionFile(join(resources.definitions, 'chis-immunisations.exdef.yaml'), { context: await lintContext(), previous: broken });
    expect('unusable' in outcome && outcome.unusable.file).toBe(broken);
  });
});

describe('Markdown', () => {
  it('has the same sections and facts as the HTML', async () => {
    const report = await review(join(resources.definitions, 'two-week-wait-audit.exdef'));
    const md = renderMarkdown(report);
    const headings = md.split('\n').filter((l) => l.startsWith('## '));
    expect(headings).toEqual(['## Findings', '## Purpose and governance', '## Population', '## Datasets and fields', '## Disclosure risk', '## The exact SQL']);
    expect(md).toContain(`> ${report.population.sentence}`);
    expect(md).toContain('| `person_key` | `pseudonym(patient.nhs_number, \'tww-audit-key\')` | **direct identifier** | as a keyed pseudonym |');
    expect(md).toContain('| `age_band` | `age_band(patient.date_of_birth)` | **quasi identifier** | as an age band |');
    expect(md).toContain('| **Legal basis: Article 6** |');
    expect(md).toContain('not measured');
  });
});
