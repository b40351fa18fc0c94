import { beforeAll, describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { canonicalDefinition } from '../../../src/ir/fingerprint.js';
import { ANSWER_CHECKS, scaffold, type ScaffoldAnswers } from '../../../src/init/scaffold.js';
import { lintDefinitionText, prepareLint, type LintContext } from '../../../src/pipeline/lint-definition.js';

const TODAY = '2026-11-21';
let context: LintContext;
beforeAll(async () => {
  context = (await prepareLint({ catalogue: referenceCatalogue(), today: TODAY })).context!;
});

const answers = (over: Partial<ScaffoldAnswers> = {}): ScaffoldAnswers => ({
  id: 'asthma-review',
  title: 'Asthma annual review',
  organisation: 'NHS Example ICB',
  contact: 'ig@example-icb.nhs.uk',
  useCase: 'targeted_reporting',
  careType: 'indirect',
  practices: ['A81001', 'A81002'],
  mode: 'full',
  syntax: 'yaml',
  schemaPath: '../schema/exdef.schema.json',
  ...over,
});

const file = (a: ScaffoldAnswers) => `${a.id}.${a.syntax === 'exdef' ? 'exdef' : 'exdef.yaml'}`;
const lint = (a: ScaffoldAnswers, text = scaffold(a)) => lintDefinitionText(file(a), text, context);

/**
 * What an author writes in place of each placeholder, in order: real sentences, each about its own
 * subject (the same sentence with a number changed would be a near copy: justification-not-repeated
 * and governance-complete refuse those), a DPIA reference and a review date.
 */
const AUTHOR_TEXTS = [
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

/** What an author writes in place of each placeholder: real sentences, a DPIA reference, a review date. */
function filledIn(text: string, syntax: 'yaml' | 'exdef'): string {
  let n = 0;
  const real = () => AUTHOR_TEXTS[n++]!;
  const out = text.replace(/(["'])TODO:[^"'\n]*\1/g, (_m, q: string) => `${q}${real()}${q}`);
  return syntax === 'yaml' ? out.replace('review:\n', `review:\n  last_reviewed: ${TODAY}\n`) : out.replace('REVIEWED BY', `REVIEWED ${TODAY} BY`);
}

const CASES = (['direct', 'indirect'] as const).flatMap((careType) =>
  (['yaml', 'exdef'] as const).flatMap((syntax) =>
    (['full', 'delta'] as const).map((mode) => answers({ careType, syntax, mode, useCase: careType === 'direct' ? 'direct_care_planning' : 'data_warehouse' })),
  ),
);

describe('exdef init scaffold', () => {
  it.each(CASES.map((a) => [`${a.careType} care, ${a.syntax}, ${a.mode}`, a] as const))('%s: parses and resolves; lint reports only the placeholders and the missing review date', (_name, a) => {
    const checked = lint(a);
    expect(checked.definition, JSON.stringify(checked.diagnostics.map((d) => d.message))).toBeDefined();
    const findings = checked.diagnostics.filter((d) => d.severity !== 'info');
    expect(findings.every((d) => d.severity === 'error')).toBe(true);
    expect(new Set(findings.map((d) => d.code))).toEqual(new Set(['governance-complete', 'justification-meaningful']));
    const placeholders = findings.filter((d) => /placeholder/.test(d.message));
    expect(placeholders).toHaveLength(10); // 8 governance texts and 2 justifications
    expect(findings.filter((d) => !/placeholder/.test(d.message)).map((d) => d.message)).toEqual(['the governance of this extract is missing the date of the last review (review.last_reviewed)']);
    // Every finding points at its line in the scaffold.
    for (const d of findings) expect(d.span, d.message).toBeDefined();
  });

  it.each(CASES.map((a) => [`${a.careType} care, ${a.syntax}, ${a.mode}`, a] as const))('%s: lints clean once the placeholders are filled in', (_name, a) => {
    const checked = lint(a, filledIn(scaffold(a), a.syntax));
    expect(checked.diagnostics.filter((d) => d.severity !== 'info').map((d) => `${d.code}: ${d.message}`)).toEqual([]);
  });

  it('writes the same definition in both syntaxes', () => {
    for (const careType of ['direct', 'indirect'] as const) {
      const yaml = lint(answers({ careType, syntax: 'yaml' })).definition!;
      const exdef = lint(answers({ careType, syntax: 'exdef' })).definition!;
      expect(canonicalDefinition(exdef)).toEqual(canonicalDefinition(yaml));
    }
  });

  it('has every governance field, the population choices and a commented example dataset', () => {
    const yaml = scaffold(answers());
    for (const key of ['intended_use:', 'article_6:', 'article_9:', 'statement:', 'data_provision_notice', 'dpia:', 'singling_out:', 'linkability:', 'last_reviewed', 'reviewer:', 'processing_location:', 'registration:', 'deceased:', 'type1_opt_out:', 'national_data_opt_out:', 'on_opt_back_in:', 'encryption']) {
      expect(yaml).toContain(key);
    }
    expect(yaml).toMatch(/^ {2}# A second dataset could read coded observations:\n {2}# - name: observations\n {2}# {3}from: observation$/m);
    const exdef = scaffold(answers({ syntax: 'exdef' }));
    expect(exdef).toMatch(/^-- DATASET observations AS$/m);
    expect(exdef).toContain("pseudonym(nhs_number, 'asthma-review-key') AS person_key");
  });

  it('direct care identifies patients; indirect care pseudonymises and generalises', () => {
    const direct = lint(answers({ careType: 'direct', useCase: 'direct_care_planning' })).definition!;
    expect(direct.datasets[0]!.fields.map((f) => [f.name, f.transform])).toEqual([
      ['nhs_number', 'none'],
      ['age_years', 'age_years'],
    ]);
    const indirect = lint(answers()).definition!;
    expect(indirect.datasets[0]!.fields.map((f) => [f.name, f.transform])).toEqual([
      ['person_key', 'pseudonym'],
      ['age_band', 'age_band'],
    ]);
    expect(indirect.population.nationalDataOptOut).toBe('respect');
  });

  it('keeps hostile titles and organisations as text in both syntaxes', () => {
    const title = `It's "quoted": #1 -- not a comment; EXTRACT x '' \\ end`;
    const organisation = `O'Brien & Co: {not: yaml} [x], *alias, !tag, |`;
    for (const syntax of ['yaml', 'exdef'] as const) {
      const a = answers({ syntax, title, organisation, contact: ' ig@example-icb.nhs.uk ' });
      const d = lint(a).definition!;
      expect(d.title).toBe(title);
      expect(d.owner.organisation).toBe(organisation);
      expect(d.owner.contact).toBe('ig@example-icb.nhs.uk');
    }
  });

  it('checks what it is given', () => {
    expect(ANSWER_CHECKS.id('asthma-review')).toBeUndefined();
    expect(ANSWER_CHECKS.id('Asthma Review')).toMatch(/kebab-case/);
    expect(ANSWER_CHECKS.id(`a${'-b'.repeat(40)}`)).toMatch(/at most 63/);
    expect(ANSWER_CHECKS.title('two\nlines')).toMatch(/one line/);
    expect(ANSWER_CHECKS.contact('not an email')).toMatch(/email/);
    expect(ANSWER_CHECKS.practices([])).toMatch(/at least one/);
    expect(ANSWER_CHECKS.practices(['A81001', 'a81002'])).toMatch(/"a81002" is not one/);
    expect(ANSWER_CHECKS.practices(['A81001', 'A81001'])).toMatch(/once/);
    expect(ANSWER_CHECKS.practices(['A81001', 'Y12345'])).toBeUndefined();
  });
});
