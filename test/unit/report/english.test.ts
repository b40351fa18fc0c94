/**
 * The population and each dataset's rows in plain English, for every shipped definition (both
 * syntaxes read the same), and the English of the common expression constructs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { openDatabase } from '../../../src/db/open-database.js';
import type { ExtractDefinition } from '../../../src/ir/extract-definition.js';
import { checkDefinitionText } from '../../../src/pipeline/check-definition.js';
import { lintDefinitionFile } from '../../../src/pipeline/lint-definition.js';
import { resources } from '../../../src/resources.js';
import { alwaysAppliedGuards, describeDatasetRows, describePopulation, populationChoices } from '../../../src/report/describe-population.js';
import { describeCondition, describeValue } from '../../../src/report/english-expression.js';
import { compileText, lintContext, shippedDefinitions, TODAY } from '../../support/compile.js';
import { exemptionYaml, withExemptions } from '../../support/exemption-yaml.js';

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
      people: 'Patients in the population, whose sex is one of ‘male’ or ‘female’.',
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
      expect(describePopulation(definition, context.catalogue)).toBe(expected.population);
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
      expect(describeCondition(withPopulation(where).population.where!, referenceCatalogue())).toBe(english);
    });
  }

});

/**
 * An `or` inside an `and` is bracketed, and so is an `and` inside an `or`: `(A or B) and C` must
 * never read as `A or (B and C)` ("all women plus boys under 5"). `not` is pushed down to the
 * tests it applies to (De Morgan), which is exact in SQL's three-valued logic.
 */
describe('grouping of and, or and not in English', () => {
  const cases: [string, string][] = [
    ["(sex = 'female' or sex = 'male') and age_years(date_of_birth) < 5", '(either whose sex is ‘female’ or whose sex is ‘male’) and aged under 5 on the extract date'],
    ["sex = 'female' or (sex = 'male' and age_years(date_of_birth) < 5)", 'either whose sex is ‘female’ or (whose sex is ‘male’ and aged under 5 on the extract date)'],
    [
      "sex = 'female' and (exists(observations) or exists(referrals)) and age_years(date_of_birth) < 5",
      'whose sex is ‘female’, (either with an observation or with a referral) and aged under 5 on the extract date',
    ],
    [
      "(sex = 'female' or exists(observations)) and (exists(referrals) or age_years(date_of_birth) < 5)",
      '(either whose sex is ‘female’ or with an observation) and (either with a referral or aged under 5 on the extract date)',
    ],
    ["not (sex = 'female' and age_years(date_of_birth) < 5)", 'either whose sex is not ‘female’; or aged 5 or over on the extract date'],
    ["not (sex = 'female' or exists(referrals))", 'whose sex is not ‘female’ and with no referral'],
    [
      "sex = 'female' or (age_years(date_of_birth) < 5 and (exists(observations) or exists(referrals)))",
      'either whose sex is ‘female’ or (aged under 5 on the extract date and (either with an observation or with a referral))',
    ],
    [
      "(sex = 'female' and (age_years(date_of_birth) < 5 or not exists(referrals))) or exists(observations)",
      'either (whose sex is ‘female’ and (either aged under 5 on the extract date or with no referral)) or with an observation',
    ],
    // Inside exists(): alternatives among the qualifiers are bracketed too.
    [
      "exists(observations where code in << 73211009 or value_numeric > 1) and sex = 'male'",
      'with an observation (either coded as concept 73211009 or any of its subtypes; or whose value numeric is more than 1) and whose sex is ‘male’',
    ],
    [
      "exists(observations where code in << 73211009 and (value_numeric > 1 or value_unit = 'x'))",
      'with an observation coded as concept 73211009 or any of its subtypes, (either whose value numeric is more than 1 or whose value unit is ‘x’)',
    ],
    // An alternative with an "or" of its own is kept apart with a semicolon.
    ['exists(observations where code in << 73211009) or exists(referrals)', 'either with an observation coded as concept 73211009 or any of its subtypes; or with a referral'],
  ];
  for (const [where, english] of cases) {
    it(where, () => {
      expect(describeCondition(withPopulation(where).population.where!, referenceCatalogue())).toBe(english);
    });
  }

  it('reads (A or B) and C differently from A or (B and C)', () => {
    const read = (where: string) => describeCondition(withPopulation(where).population.where!, referenceCatalogue());
    expect(read("(sex = 'female' or sex = 'male') and age_years(date_of_birth) < 5")).not.toBe(read("sex = 'female' or (sex = 'male' and age_years(date_of_birth) < 5)"));
  });
});

/**
 * A negative test (`<>`, `not in`, `not between`, `not ...`) of a column the catalogue marks
 * nullable is false for an empty value in SQL, so those rows are left out: the English says so.
 * Columns that cannot be empty read as before.
 */
describe('empty values under a negative test', () => {
  const cases: [string, string][] = [
    ["exists(observations where value_unit not in ('mmHg', 'x'))", 'with an observation whose value unit is recorded and is none of ‘mmHg’ or ‘x’'],
    ["exists(observations where not (value_unit in ('mmHg', 'x')))", 'with an observation whose value unit is recorded and is none of ‘mmHg’ or ‘x’'],
    ['exists(observations where not (value_numeric <= 140))', 'with an observation whose value numeric is recorded and is more than 140'],
    ['exists(observations where value_numeric not between 1 and 2)', 'with an observation whose value numeric is recorded and is not between 1 and 2 (inclusive)'],
    ["exists(observations where value_unit <> 'mmHg')", 'with an observation whose value unit is recorded and is not ‘mmHg’'],
    ["exists(observations where not (value_unit = 'mmHg' or value_numeric > 140))", 'with an observation whose value unit is recorded and is not ‘mmHg’, whose value numeric is recorded and is at most 140'],
    ["exists(observations where lower(value_unit) not in ('mmhg'))", 'with an observation whose value unit in lower case is none of ‘mmhg’ (only where value unit is recorded)'],
    ['ethnicity_code not in << 73211009', 'whose ethnicity code is recorded and is not concept 73211009 or any of its subtypes'],
    // Positive tests need a value anyway, and sex can never be empty: nothing to add.
    ["exists(observations where value_unit in ('mmHg', 'x'))", 'with an observation whose value unit is one of ‘mmHg’ or ‘x’'],
    ['exists(observations where value_numeric > 140)', 'with an observation whose value numeric is more than 140'],
    ["sex <> 'male'", 'whose sex is not ‘male’'],
    ["not (sex in ('male'))", 'whose sex is none of ‘male’'],
  ];
  for (const [where, english] of cases) {
    it(where, () => {
      expect(describeCondition(withPopulation(where).population.where!, referenceCatalogue())).toBe(english);
    });
  }

  it('describes what the SQL does: the compiler writes these tests as NOT IN, NOT BETWEEN, <> and NOT (...), none of which is true for an empty value', async () => {
    const base = readFileSync(join(resources.definitions, 'phm-warehouse.exdef.yaml'), 'utf8');
    const filter = "value_unit not in ('mmHg', 'x') or value_numeric not between 1 and 2 or value_unit <> 'mmHg' or not (value_numeric <= 140)";
    const text = base.replace("where: code in << 75367002 |Blood pressure| and effective_date >= today() - interval '2 years'", `where: ${JSON.stringify(`code in << 75367002 and (${filter})`)}`);
    const { plan } = compileText(text);
    const sql = plan.datasets.find((d) => d.name === 'blood_pressure')!.full.sql;
    expect(sql).toMatch(/"value_unit" NOT IN \(/);
    expect(sql).toMatch(/"value_numeric" NOT BETWEEN /);
    expect(sql).toMatch(/"value_unit" <> /);
    expect(sql).toMatch(/\(NOT \([^()]*"value_numeric" <= /);
    const db = await openDatabase({ engine: 'pglite' });
    try {
      const [row] = await db.query<Record<string, boolean | null>>(
        "SELECT (NULL::text NOT IN ('mmHg', 'x')) AS not_in, (NULL::numeric NOT BETWEEN 1 AND 2) AS not_between, (NULL::text <> 'mmHg') AS not_equal, (NOT (NULL::numeric <= 140)) AS not_at_most",
      );
      // Null, not true: a WHERE keeps only rows for which the condition is true.
      expect(row).toEqual({ not_in: null, not_between: null, not_equal: null, not_at_most: null });
    } finally {
      await db.close();
    }
  });
});

describe('derived values and the population choices', () => {
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

  it('names where a valid exemption releases a sensitive set, and that it stays excluded everywhere else', async () => {
    const text = withExemptions(readFileSync(join(resources.definitions, 'phm-warehouse.exdef.yaml'), 'utf8'), exemptionYaml({ fields: '[blood_pressure.reading_code]' }), exemptionYaml({ code_set: 'sexuality', expires: '2020-01-01' }));
    const d = checkDefinitionText('x.exdef.yaml', text, { catalogue: referenceCatalogue() }).definition!;
    const guards = alwaysAppliedGuards(d, (await lintContext()).policy, TODAY);
    expect(guards.join('\n')).toContain('whatever the filters ask for: gender reassignment, sexuality, termination of pregnancy and assisted fertilisation.');
    // The expired sexuality exemption releases nothing; the HIV/STI one only where it says.
    expect(guards.filter((g) => g.includes('released'))).toEqual([
      'HIV status and sexually transmitted disease codes are released by a valid exemption only in blood_pressure (fields blood_pressure.reading_code); everywhere else, the population included, they are excluded.',
    ]);
  });
});
