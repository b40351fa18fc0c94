import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../../src/report/render-html.js';
import { renderMarkdown } from '../../../src/report/render-markdown.js';
import { reviewDefinitionFile } from '../../../src/report/review-definition.js';
import { lintContext } from '../../support/compile.js';
import { withDatasets } from './definitions.js';

const work = mkdtempSync(join(tmpdir(), 'exdef-report-linked-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the report shows linked datasets as the one table they make', () => {
  it('scores the combination, names the link, and lists the combined k query', async () => {
    const file = join(work, 'linked.exdef.yaml');
    writeFileSync(
      file,
      withDatasets({
        people: ['patient', [['person_key', "pseudonym(nhs_number, 'phm-icb-key')"], ['birth_year', 'year(date_of_birth)']]],
        areas: ['patient', [['person_key', "pseudonym(nhs_number, 'phm-icb-key')"], ['district', 'postcode_district(postcode)']]],
      }),
    );
    const outcome = await reviewDefinitionFile(file, { context: await lintContext() });
    if ('unusable' in outcome) throw new Error('unusable');
    const report = outcome.report;
    expect(report.disclosure.linked).toHaveLength(1);
    const linked = report.disclosure.linked[0]!;
    expect(linked.datasets).toEqual(['people', 'areas']);
    expect(linked.links).toEqual(["a pseudonym of patient.nhs_number keyed 'phm-icb-key' in people, areas"]);
    expect(linked.score.identifiers.map((q) => q.field)).toEqual(['people.birth_year', 'areas.district']);
    expect(linked.score.bits).toBeCloseTo(Math.log2(90) + Math.log2(5), 5);
    const html = renderHtml(report);
    expect(html).toContain('linked, one table to the recipient: a pseudonym of patient.nhs_number keyed ‘phm-icb-key’ in people, areas'.replace(/[‘’]/g, '&#39;'));
    expect(html).toContain('people.birth_year: date_of_birth (year, 6.5 bits) + areas.district: postcode (postcode district, 2.3 bits)');
    const md = renderMarkdown(report);
    expect(md).toContain('`people` + `areas`');
    expect(report.sql.compiled && report.sql.queries.map((q) => q.file)).toContain('linked-1.k-anonymity.sql');
  });
});
