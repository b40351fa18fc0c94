/**
 * The population and each dataset's rows in plain English, for every shipped definition (both
 * syntaxes read the same), and the English of the common expression constructs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import type { ExtractDefinition } from '../../../src/ir/extract-definition.js';
import { checkDefinitionText } from '../../../src/pipeline/check-definition.js';
import { lintDefinitionFile } from '../../../src/pipeline/lint-definition.js';
import { resources } from '../../../src/resources.js';
import { alwaysAppliedGuards, describeDatasetRows, describePopulation, populationChoices } from '../../../src/report/describe-population.js';
import { describeCondition, describeValue } from '../../../src/report/english-expression.js';
import { lintContext, shippedDefinitions, TODAY } from '../../support/compile.js';

const THREE_PRACTICES = 'Patients currently and permanently registered at A81001, A81002 or A81003; deceased patients, PDS-sensitive patients and patients with a Type 1 opt-out or a National Data Opt-out are excluded.';

/** What each shipped definition's population and datasets read as, by definition file name (without syntax). */
const EXPECTED: Record<string, { population: string; datasets: Record<string, string> }> = {
  'cervical-screening-recall': {
    population:
      'Patients currently and permanently registered at A81002, whose sex is ‘female’ and aged 25 to 64 on the extract date; deceased patients and PDS-sensitive patients are excluded; Type 1 opt-outs are overridden.',
    datasets: {
      due_for_screening:
        'Patients in the population, with no observation coded as Screening for malignant neoplasm of cervix (171149006) or any of its subtypes, whose effective date is after the date 3 years before the extract date.',
    },
  },
  'chis-immunisations': {
    population: 'Patients currently and permanently registered at A81001 or A81002, aged under 20 on the extract date; deceased patients, PDS-sensitive patients and patients with a Type 1 opt-out are excluded.',
    datasets: {
      children: 'Patients in the population.',
      immunisations: 'Observations of patients in the population, coded as Administration of vaccine to produce active immunity (33879002) or any of its subtypes.',
    },
  },
  'diabetes-recall': {
    population: 'Patients currently registered (any type of registration) at A81001; deceased patients and PDS-sensitive patients are excluded; Type 1 opt-outs are overridden.',
    datasets: {
      due_for_review:
        'Patients in the population, with an observation coded as Diabetes mellitus (73211009) or any of its subtypes; and with no observation coded as Haemoglobin A1c measurement (43396009) or any of its subtypes, whose effective date is on or after the date 12 months before the extract date.',
    },
  },
  'flu-vaccination-uptake': {
    population: THREE_PRACTICES,
    datasets: {
      people: 'Patients in the population.',
      vaccinations:
        'Observations of patients in the population, coded as Administration of vaccine product containing only Influenza virus antigen (86198006) or any of its subtypes and whose effective date is on or after the date 15 months before the extract date.',
    },
  },
  'phm-warehouse': {
    population: THREE_PRACTICES,
    datasets: {
      people: 'Patients in the population.',
      long_term_conditions: 'Observations of patients in the population, coded as Diabetes mellitus (73211009), Hypertensive disorder (38341003) or Asthma (195967001), or any of their subtypes.',
      blood_pressure: 'Observations of patients in the population, coded as Blood pressure (75367002) or any of its subtypes and whose effective date is on or after the date 2 years before the extract date.',
    },
  },
  'two-week-wait-audit': {
    population: THREE_PRACTICES,
    datasets: {
      referrals:
        'Referrals of patients in the population, whose urgency is ‘two_week_wait’, whose referral date is on or after the date 12 months before the extract date and coded as Malignant neoplastic disease (363346000) or any of its subtypes.',
    },
  },
};

describe('the shipped definitions in English', () => {
  const files = shippedDefinitions();

  it('covers every shipped definition, in both syntaxes', () => {
    const names = new Set(files.map((f) => f.replace(/^.*\//, '').replace(/\.exdef(\.yaml)?$/, '')));
    expect([...names].sort()).toEqual(Object.keys(EXPECTED).sort());
    expect(files.filter((f) => f.endsWith('.exdef')).length).toBe(Object.keys(EXPECTED).length);
    expect(files.filter((f) => f.endsWith('.exdef.yaml')).length).toBe(Object.keys(EXPECTED).length);
  });

  for (const file of files) {
    it(`${file}: the population and every dataset's rows`, async () => {
      const context = await lintContext();
      const definition = lintDefinitionFile(file, context).definition!;
      const expected = EXPECTED[file.replace(/^.*\//, '').replace(/\.exdef(\.yaml)?$/, '')]!;
      expect(describePopulation(definition)).toBe(expected.population);
      expect(Object.fromEntries(definition.datasets.map((d) => [d.name, describeDatasetRows(d, context.catalogue)]))).toEqual(expected.datasets);
    });
  }
});

/** The phm-warehouse definition with a population filter (and choices) of the test's own. */
function withPopulation(where: string, extra = ''): ExtractDefinition {
  const base = readFileSync(join(resources.definitions, 'phm-warehouse.exdef.yaml'), 'utf8');
  const text = base.replace('  practices: [A81001, A81002, A81003]\n', `  practices: [A81001, A81002, A81003]\n  where: ${JSON.stringify(where)}\n${extra}`);
  const checked = checkDefinitionText('test.exdef.yaml', text, { catalogue: referenceCatalogue() });
  const errors = checked.diagnostics.filter((d) => d.severity === 'error');
  if (!checked.definition || errors.length > 0) throw new Error(errors.map((d) => d.message).join('; '));
  return checked.definition;
}

describe('expressions in English', () => {
  const cases: [string, string][] = [
    ['age_years(date_of_birth) >= 65', 'aged 65 or over on the extract date'],
    ['age_years(date_of_birth) <= 4', 'aged 4 or under on the extract date'],
    ['18 < age_years(date_of_birth)', 'aged over 18 on the extract date'],
    ['age_years(date_of_birth) not between 5 and 64', 'aged under 5 or over 64 on the extract date'],
    ["sex in ('female', 'indeterminate')", 'whose sex is one of ‘female’ or ‘indeterminate’'],
    ["sex not in ('male')", 'whose sex is none of ‘male’'],
    ['phone is null', 'whose phone is not recorded'],
    ['phone is not null', 'whose phone is recorded'],
    ["date_of_birth < date '1960-01-01'", 'whose date of birth is before 1960-01-01'],
    ['date_of_birth <= today() - 30', 'whose date of birth is on or before the date 30 days before the extract date'],
    ["not sex = 'male'", 'whose sex is not ‘male’'],
    ["sex = 'female' or age_years(date_of_birth) < 5", 'either whose sex is ‘female’ or aged under 5 on the extract date'],
    [
      "exists(observations where code in << 73211009 |Diabetes mellitus| and effective_date >= today() - interval '1 year')",
      'with an observation coded as Diabetes mellitus (73211009) or any of its subtypes, whose effective date is on or after the date 1 year before the extract date',
    ],
    ['not exists(medication_issues)', 'with no medication issue'],
    ['exists(observations where code in < 73211009)', 'with an observation coded as any subtype of concept 73211009 (not the concept itself)'],
    ['exists(observations where code in (<< 73211009 MINUS << 46635009 |Type 1 diabetes|))', 'with an observation coded as concept 73211009 or any of its subtypes, except Type 1 diabetes (46635009) or any of its subtypes'],
    ['exists(observations where code not in ^ 999004381000000103)', 'with an observation not coded as a member of the reference set concept 999004381000000103'],
    // No English phrasing for arithmetic: the exdef text, in backticks (set in code type).
    ['exists(observations where value_numeric * 2 > 140)', 'with an observation whose `value_numeric * 2` is more than 140'],
    ['exists(observations where round(value_numeric, 1) = 7.5)', 'with an observation whose `round(value_numeric, 1)` is 7.5'],
  ];
  for (const [where, english] of cases) {
    it(where, () => {
      expect(describeCondition(withPopulation(where).population.where!)).toBe(english);
    });
  }

  it('names what a derived value is', () => {
    const d = withPopulation("postcode_district(postcode) = 'LS1' and year(date_of_birth) = 1980 and age_band(date_of_birth, 10) = '20-29'");
    const parts: string[] = [];
    const visit = (e: NonNullable<ExtractDefinition['population']['where']>): void => {
      if (e.kind === 'binary' && e.op === 'and') {
        visit(e.left);
        visit(e.right);
      } else if (e.kind === 'binary') parts.push(describeValue(e.left));
    };
    visit(d.population.where!);
    expect(parts).toEqual(['the postcode district of postcode', 'the year of date of birth', 'the 10-year age band on the extract date (from date of birth)']);
  });

  it('states the choices that depart from the policy default, with their justification, and the guards that always apply', async () => {
    const d = withPopulation('age_years(date_of_birth) < 20');
    const text = readFileSync(join(resources.definitions, 'diabetes-recall.exdef.yaml'), 'utf8');
    const diabetes = checkDefinitionText('diabetes.exdef.yaml', text, { catalogue: referenceCatalogue() }).definition!;
    const choices = populationChoices(diabetes);
    expect(choices.find((c) => c.topic === 'Registration')).toMatchObject({ departsFromDefault: true, justification: 'Temporary residents with diabetes are also due reviews while registered with the practice.' });
    expect(choices.find((c) => c.topic === 'Type 1 opt-out')).toMatchObject({ choice: 'overridden: patients who opted out are included', departsFromDefault: true });
    expect(populationChoices(d).every((c) => !c.departsFromDefault)).toBe(true);
    const context = await lintContext();
    const guards = alwaysAppliedGuards(d, context.policy, TODAY);
    expect(guards).toContain('PDS-sensitive patients are never extracted (a hard rule: no exemption can lift it).');
    expect(guards.join('\n')).toMatch(/Soft-deleted rows are never extracted\./);
    expect(guards.join('\n')).toContain('whatever the filters ask for: gender reassignment, sexuality, HIV status and sexually transmitted disease, termination of pregnancy and assisted fertilisation.');
  });
});
