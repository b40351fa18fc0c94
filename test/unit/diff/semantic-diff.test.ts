import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { CHANGE_KINDS, type ChangeClass, type ChangeKind } from '../../../src/diff/change.js';
import { printIrExpression } from '../../../src/diff/print-ir-expression.js';
import { diffDefinitions } from '../../../src/diff/semantic-diff.js';
import type { IrExpr } from '../../../src/ir/expression.js';
import type { ExtractDefinition } from '../../../src/ir/extract-definition.js';
import { fingerprint } from '../../../src/ir/fingerprint.js';
import { checkDefinitionText } from '../../../src/pipeline/check-definition.js';
import { printExpression } from '../../../src/print/print-expression.js';
import { resources } from '../../../src/resources.js';
import { INDIRECT_BASE } from '../../support/rule-tester.js';

const catalogue = referenceCatalogue();
const read = (name: string) => readFileSync(join(resources.definitions, name), 'utf8');
const PHM = readFileSync(INDIRECT_BASE.yaml, 'utf8');
const CHIS = read('chis-immunisations.exdef.yaml');

function resolve(text: string, path = 'variant.exdef.yaml'): ExtractDefinition {
  const checked = checkDefinitionText(path, text, { catalogue });
  expect(checked.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.message} (${d.span?.start.line})`)).toEqual([]);
  return checked.definition!;
}

type Edit = [from: string, to: string];

/** The text with each edit made once; an edit that does not apply fails the test (the examples moved on). */
function edit(text: string, ...edits: Edit[]): string {
  let out = text;
  for (const [from, to] of edits) {
    expect(out, `edit target ${JSON.stringify(from)}`).toContain(from);
    out = out.replace(from, to);
  }
  return out;
}

const diffOf = (base: string, ...edits: Edit[]) => diffDefinitions(resolve(base, 'old.exdef.yaml'), resolve(edit(base, ...edits), 'new.exdef.yaml'));
/** The reverse: from the edited variant back to the base. */
const reverseOf = (base: string, ...edits: Edit[]) => diffDefinitions(resolve(edit(base, ...edits), 'old.exdef.yaml'), resolve(base, 'new.exdef.yaml'));
const triples = (d: ReturnType<typeof diffDefinitions>) => d.changes.map((c) => [c.kind, c.class, c.path] as [ChangeKind, ChangeClass, string]);
const sorted = <T>(xs: T[]) => [...xs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

const REVIEW = 'needs-ig-review';
const BASELINE = 'needs-new-baseline';
const NONE = 'no-effect';

const NEW_FIELD: Edit = [
  'justification: Locates need by neighbourhood for service planning.\n',
  'justification: Locates need by neighbourhood for service planning.\n      - name: nhs_number\n        value: nhs_number\n        justification: Lets the warehouse contact patients directly.\n',
];
const SEX_FIELD = '      - name: sex\n        value: sex\n        justification: Prevalence and risk models differ by sex.\n';
const BP_WHERE = "code in << 75367002 |Blood pressure| and effective_date >= today() - interval '2 years'";
const LTC_ECL = 'OR << 195967001 |Asthma|)';
const EXEMPTION =
  '\nexemptions:\n  - rule: sensitive-codes\n    code_set: hiv_sti\n    datasets: [long_term_conditions]\n    legal_basis:\n      article_6: 6(1)(e) public task\n      article_9: 9(2)(i) public health\n      notice: DPN-2026-001\n    justification: HIV care pathways are planned with the warehouse.\n    expires: 2027-06-30\n';

/** [what, base definition, edits, the changes expected as (kind, class, path)]. */
const cases: [string, string, Edit[], [ChangeKind, ChangeClass, string][]][] = [
  // fields
  ['a field added', PHM, [NEW_FIELD], [['field-added', REVIEW, 'datasets.people.fields.nhs_number']]],
  ['a field removed', PHM, [[SEX_FIELD, '']], [['field-removed', BASELINE, 'datasets.people.fields.sex']]],
  ['a field renamed', PHM, [['name: sex', 'name: gender']], [['field-renamed', BASELINE, 'datasets.people.fields.gender']]],
  [
    'fields reordered',
    PHM,
    [
      [SEX_FIELD, ''],
      ['      - name: birth_year\n', `${SEX_FIELD}      - name: birth_year\n`],
    ],
    [['field-reordered', BASELINE, 'datasets.people.fields']],
  ],
  ['year of birth → month of birth', PHM, [['value: year(date_of_birth)', 'value: month(date_of_birth)']], [['transform-finer', REVIEW, 'datasets.people.fields.birth_year']]],
  ['month of birth → year of birth', CHIS, [['value: month(date_of_birth)', 'value: year(date_of_birth)']], [['transform-coarser', BASELINE, 'datasets.children.fields.birth_month']]],
  ['year of birth → age in years', PHM, [['value: year(date_of_birth)', 'value: age_years(date_of_birth)']], [['transform-finer', REVIEW, 'datasets.people.fields.birth_year']]],
  ['year of birth → age band', PHM, [['value: year(date_of_birth)', 'value: age_band(date_of_birth, 10)']], [['transform-coarser', BASELINE, 'datasets.people.fields.birth_year']]],
  ['postcode district → full postcode', PHM, [['value: postcode_district(postcode)', 'value: postcode']], [['transform-finer', REVIEW, 'datasets.people.fields.postcode_district']]],
  ['a full date → its month', CHIS, [['value: effective_date', 'value: month(effective_date)']], [['transform-coarser', BASELINE, 'datasets.immunisations.fields.vaccination_date']]],
  ['a pseudonym → the raw NHS number', PHM, [["value: pseudonym(nhs_number, 'phm-icb-key')", 'value: nhs_number']], [['transform-finer', REVIEW, 'datasets.people.fields.person_key']]],
  ['a pseudonym keyed differently', PHM, [["value: pseudonym(nhs_number, 'phm-icb-key')", "value: pseudonym(nhs_number, 'shared-key')"]], [['pseudonym-key-changed', REVIEW, 'datasets.people.fields.person_key']]],
  ['a value computed differently', PHM, [['value: value_numeric', 'value: round(value_numeric, 1)']], [['field-value-changed', REVIEW, 'datasets.blood_pressure.fields.value']]],
  ['a value reading another column', PHM, [['value: sex', 'value: ethnicity_code']], [['field-value-changed', REVIEW, 'datasets.people.fields.sex']]],
  ['a field justification edited', PHM, [['Age is the main driver of risk stratification.', 'Risk rises steeply with age.']], [['justification-changed', NONE, 'datasets.people.fields.birth_year']]],
  // datasets
  [
    'a dataset added',
    CHIS,
    [['datasets:\n', "datasets:\n  - name: referrals\n    from: referral\n    fields:\n      - name: nhs_number\n        value: patient.nhs_number\n        justification: Links each referral to the child.\n"]],
    [['dataset-added', REVIEW, 'datasets.referrals']],
  ],
  ['a dataset removed', PHM, [[PHM.slice(PHM.indexOf('\n  - name: blood_pressure')), '\n']], [['dataset-removed', BASELINE, 'datasets.blood_pressure']]],
  ['a dataset renamed', PHM, [['name: blood_pressure', 'name: bp_readings']], [['dataset-renamed', BASELINE, 'datasets.bp_readings']]],
  ['a dataset filter added', PHM, [['    from: patient\n', "    from: patient\n    where: sex = 'female'\n"]], [['dataset-filter-added', BASELINE, 'datasets.people.where']]],
  ['a dataset filter removed', PHM, [[`    where: ${BP_WHERE}\n`, '']], [['dataset-filter-removed', REVIEW, 'datasets.blood_pressure.where']]],
  ['a look-back made longer', PHM, [["interval '2 years'", "interval '3 years'"]], [['dataset-filter-widened', REVIEW, 'datasets.blood_pressure.where']]],
  ['a look-back made shorter', PHM, [["interval '2 years'", "interval '18 months'"]], [['dataset-filter-narrowed', BASELINE, 'datasets.blood_pressure.where']]],
  ['a code set grown', PHM, [[LTC_ECL, 'OR << 195967001 |Asthma| OR << 13645005 |COPD|)']], [['dataset-filter-widened', REVIEW, 'datasets.long_term_conditions.where']]],
  ['a code set shrunk', PHM, [['\n      OR << 195967001 |Asthma|)', ')']], [['dataset-filter-narrowed', BASELINE, 'datasets.long_term_conditions.where']]],
  ['descendants or self → descendants', CHIS, [['code in << 33879002', 'code in < 33879002']], [['dataset-filter-narrowed', BASELINE, 'datasets.immunisations.where']]],
  ['a filter replaced by an unrelated one', PHM, [['code in << 75367002 |Blood pressure|', 'code in << 73211009 |Diabetes mellitus|']], [['dataset-filter-changed', REVIEW, 'datasets.blood_pressure.where']]],
  [
    'a filter rewritten with its conditions swapped',
    PHM,
    [[BP_WHERE, "effective_date >= today() - interval '2 years' and code in << 75367002 |Blood pressure|"]],
    [['dataset-filter-rewritten', BASELINE, 'datasets.blood_pressure.where']],
  ],
  // population
  ['registration permanent → all', PHM, [['registration: permanent', 'registration: all']], [['population-widened', REVIEW, 'population.registration']]],
  ['deceased exclude → include', PHM, [['deceased: exclude', 'deceased: include']], [['population-widened', REVIEW, 'population.deceased']]],
  ['Type 1 opt-out respect → override', CHIS, [['type1_opt_out: respect', 'type1_opt_out: override']], [['population-widened', REVIEW, 'population.type1_opt_out']]],
  ['national data opt-out respect → not applicable', PHM, [['  on_opt_back_in:', '  national_data_opt_out: not_applicable\n  on_opt_back_in:']], [['population-widened', REVIEW, 'population.national_data_opt_out']]],
  ['on opt back in → backfill', PHM, [['on_opt_back_in: no_backfill', 'on_opt_back_in: backfill']], [['population-widened', REVIEW, 'population.on_opt_back_in']]],
  ['on leave delete → keep', PHM, [['on_opt_back_in: no_backfill', 'on_opt_back_in: no_backfill\n  on_leave: keep']], [['population-widened', REVIEW, 'population.on_leave']]],
  ['a practice added', PHM, [['A81003]', 'A81003, A81004]']], [['practices-added', REVIEW, 'population.practices']]],
  ['a practice removed', PHM, [['A81002, A81003]', 'A81002]']], [['practices-removed', BASELINE, 'population.practices']]],
  [
    'a practice swapped for another',
    PHM,
    [['A81002, A81003]', 'A81002, A81004]']],
    [
      ['practices-added', REVIEW, 'population.practices'],
      ['practices-removed', BASELINE, 'population.practices'],
    ],
  ],
  ['practices reordered', PHM, [['[A81001, A81002, A81003]', '[A81003, A81001, A81002]']], [['practices-reordered', BASELINE, 'population.practices']]],
  ['an age limit raised', CHIS, [['age_years(date_of_birth) < 20', 'age_years(date_of_birth) < 25']], [['population-widened', REVIEW, 'population.where']]],
  ['an age limit made inclusive', CHIS, [['age_years(date_of_birth) < 20', 'age_years(date_of_birth) <= 20']], [['population-widened', REVIEW, 'population.where']]],
  ['an age limit lowered', CHIS, [['age_years(date_of_birth) < 20', 'age_years(date_of_birth) < 16']], [['population-narrowed', BASELINE, 'population.where']]],
  ['a population condition added', CHIS, [['age_years(date_of_birth) < 20', "age_years(date_of_birth) < 20 and sex = 'female'"]], [['population-narrowed', BASELINE, 'population.where']]],
  ['a population alternative added', CHIS, [['age_years(date_of_birth) < 20', "age_years(date_of_birth) < 20 or sex = 'female'"]], [['population-widened', REVIEW, 'population.where']]],
  ['the population filter removed', CHIS, [['  where: age_years(date_of_birth) < 20\n', '']], [['population-widened', REVIEW, 'population.where']]],
  ['a population filter added', PHM, [['  practices: [A81001, A81002, A81003]\n', "  practices: [A81001, A81002, A81003]\n  where: sex = 'female'\n"]], [['population-narrowed', BASELINE, 'population.where']]],
  ['a population filter replaced', CHIS, [['age_years(date_of_birth) < 20', "sex = 'female'"]], [['population-changed', REVIEW, 'population.where']]],
  // mode, schedule, output
  ['mode full → delta', PHM, [['mode: full', 'mode: delta']], [['mode-changed', BASELINE, 'mode']]],
  ['mode delta → full', CHIS, [['mode: delta', 'mode: full']], [['mode-changed', BASELINE, 'mode']]],
  ['runs more often', PHM, [['frequency: weekly', 'frequency: daily']], [['schedule-changed', REVIEW, 'schedule.frequency']]],
  ['runs less often', PHM, [['frequency: weekly', 'frequency: monthly']], [['schedule-changed', NONE, 'schedule.frequency']]],
  ['a run window moved', PHM, [['window: 02:00-04:00', 'window: 01:00-03:00']], [['schedule-changed', NONE, 'schedule.window']]],
  ['the CSV delimiter', PHM, [['delimiter: "|"', 'delimiter: ","']], [['output-changed', NONE, 'output.csv.delimiter']]],
  ['the layout', PHM, [['layout: per_practice', 'layout: single_zip']], [['output-changed', NONE, 'output.layout']]],
  ['encryption added', PHM, [['layout: per_practice\n', 'layout: per_practice\n  encryption:\n    certificate: certs/icb.pem\n']], [['encryption-changed', NONE, 'output.encryption.certificate']]],
  [
    'delivery added',
    PHM,
    [['layout: per_practice\n', 'layout: per_practice\n  delivery:\n    sftp:\n      host: sftp.example.nhs.uk\n      user: phm\n      directory: /incoming\n      host_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey\n']],
    [['delivery-changed', REVIEW, 'output.delivery']],
  ],
  ['processed outside the UK', PHM, [['dpia: DPIA-2026-031\n', 'dpia: DPIA-2026-031\nprocessing_location: elsewhere\n']], [['processing-location-changed', REVIEW, 'processing_location']]],
  // identity and governance
  ['a version bump', PHM, [['version: 1', 'version: 2']], [['version-changed', NONE, 'version']]],
  ['the title', PHM, [['title: Population health management warehouse feed', 'title: PHM warehouse feed']], [['title-changed', NONE, 'title']]],
  ['the id', PHM, [['id: phm-warehouse', 'id: phm-warehouse-2']], [['id-changed', BASELINE, 'id']]],
  ['the owner organisation', PHM, [['organisation: NHS Example Integrated Care Board', 'organisation: Example Analytics Ltd']], [['owner-changed', REVIEW, 'owner.organisation']]],
  ['the owner contact', PHM, [['contact: ig@example-icb.nhs.uk', 'contact: dpo@example-icb.nhs.uk']], [['owner-changed', NONE, 'owner.contact']]],
  ['the use case', PHM, [['use_case: data_warehouse', 'use_case: targeted_reporting']], [['use-case-changed', REVIEW, 'use_case']]],
  [
    'the care type (which changes the national data opt-out default)',
    PHM,
    [['care_type: indirect', 'care_type: direct']],
    [
      ['care-type-changed', REVIEW, 'care_type'],
      ['population-widened', REVIEW, 'population.national_data_opt_out'],
    ],
  ],
  ['a data provision notice added', PHM, [['  statement: >-', '  data_provision_notice: DPN-2026-001\n  statement: >-']], [['legal-basis-added', NONE, 'legal_basis.data_provision_notice']]],
  ['an Article 6 condition changed', PHM, [['6(1)(e) public task', '6(1)(f) legitimate interests']], [['legal-basis-changed', REVIEW, 'legal_basis.article_6']]],
  ['the intended use', PHM, [['for risk\n  stratification', 'for risk\n  stratification, case finding']], [['governance-changed', NONE, 'intended_use']]],
  ['the DPIA reference', PHM, [['dpia: DPIA-2026-031', 'dpia: DPIA-2026-077']], [['governance-changed', NONE, 'dpia']]],
  ['the legal basis statement', CHIS, [['Direct care of the child', 'Direct care of each child']], [['governance-changed', NONE, 'legal_basis.statement']]],
  ['the singling-out statement', PHM, [['Year of birth, sex', 'Year of birth, administrative sex']], [['governance-changed', NONE, 'risk.singling_out']]],
  [
    'the review date and reviewer',
    PHM,
    [
      ['last_reviewed: 2026-09-15', 'last_reviewed: 2026-11-01'],
      ['reviewer: ICB Data Protection Officer', 'reviewer: ICB Caldicott Guardian'],
    ],
    [
      ['governance-changed', NONE, 'review.last_reviewed'],
      ['governance-changed', NONE, 'review.reviewer'],
    ],
  ],
  // exemptions
  ['an exemption added', PHM, [[PHM, PHM + EXEMPTION]], [['exemption-added', REVIEW, 'exemptions.sensitive-codes[hiv_sti]']]],
];

describe('each kind of change, and its class', () => {
  it.each(cases)('%s', (_, base, edits, expected) => {
    const diff = diffOf(base, ...edits);
    expect(sorted(triples(diff))).toEqual(sorted(expected));
    for (const change of diff.changes) {
      expect(CHANGE_KINDS).toContain(change.kind);
      expect(change.explanation).toMatch(/^\S.{5,}$/);
    }
    expect(diff.class).toBe(expected.some(([, c]) => c === REVIEW) ? REVIEW : expected.some(([, c]) => c === BASELINE) ? BASELINE : NONE);
  });

  it('classes the reverse of a widening as a narrowing, never as needing review', () => {
    const narrowing: [Edit, ChangeKind, string][] = [
      [['registration: permanent', 'registration: all'], 'population-narrowed', 'population.registration'],
      [['deceased: exclude', 'deceased: include'], 'population-narrowed', 'population.deceased'],
      [['type1_opt_out: respect', 'type1_opt_out: override'], 'population-narrowed', 'population.type1_opt_out'],
      [NEW_FIELD, 'field-removed', 'datasets.people.fields.nhs_number'],
      [['value: year(date_of_birth)', 'value: month(date_of_birth)'], 'transform-coarser', 'datasets.people.fields.birth_year'],
      [["interval '2 years'", "interval '3 years'"], 'dataset-filter-narrowed', 'datasets.blood_pressure.where'],
      [['A81003]', 'A81003, A81004]'], 'practices-removed', 'population.practices'],
    ];
    for (const [e, kind, path] of narrowing) expect(triples(reverseOf(PHM, e))).toEqual([[kind, BASELINE, path]]);
  });

  it('says registration: all takes in every other type of registration, not only temporary ones', () => {
    const [change] = diffOf(PHM, ['registration: permanent', 'registration: all']).changes;
    expect(change!.explanation).toContain('every type of registration is included (temporary, emergency and immediately-necessary as well as permanent)');
    expect(change!.explanation).not.toContain('temporary registrations are included as well as permanent ones');
  });

  it('reads a raw direct identifier replacing a pseudonym as a large increase', () => {
    const [change] = diffOf(PHM, ["value: pseudonym(nhs_number, 'phm-icb-key')", 'value: nhs_number']).changes;
    expect(change).toMatchObject({ before: "pseudonym(nhs_number, 'phm-icb-key')", after: 'nhs_number', dataset: 'people', field: 'person_key', changesFingerprint: true });
    expect(change!.explanation).toContain('raw direct identifier replaces its pseudonym');
  });

  it('compares age band widths', () => {
    const five = edit(PHM, ['value: year(date_of_birth)', 'value: age_band(date_of_birth)']);
    const ten = edit(PHM, ['value: year(date_of_birth)', 'value: age_band(date_of_birth, 10)']);
    expect(triples(diffDefinitions(resolve(ten), resolve(five)))).toEqual([['transform-finer', REVIEW, 'datasets.people.fields.birth_year']]);
    expect(triples(diffDefinitions(resolve(five), resolve(ten)))).toEqual([['transform-coarser', BASELINE, 'datasets.people.fields.birth_year']]);
  });

  it('classes a legal basis weakened, and exemption changes', () => {
    expect(triples(reverseOf(PHM, ['  statement: >-', '  data_provision_notice: DPN-2026-001\n  statement: >-']))).toEqual([['legal-basis-weakened', REVIEW, 'legal_basis.data_provision_notice']]);
    expect(triples(reverseOf(PHM, [PHM, PHM + EXEMPTION]))).toEqual([['exemption-removed', BASELINE, 'exemptions.sensitive-codes[hiv_sti]']]);
    const exempt = PHM + EXEMPTION;
    expect(triples(diffOf(exempt, ['expires: 2027-06-30', 'expires: 2028-06-30']))).toEqual([['exemption-expiry-changed', REVIEW, 'exemptions.sensitive-codes[hiv_sti].expires']]);
    expect(triples(diffOf(exempt, ['expires: 2027-06-30', 'expires: 2027-01-31']))).toEqual([['exemption-expiry-changed', NONE, 'exemptions.sensitive-codes[hiv_sti].expires']]);
    expect(triples(diffOf(exempt, ['HIV care pathways are planned', 'HIV services are planned']))).toEqual([['exemption-text-changed', NONE, 'exemptions.sensitive-codes[hiv_sti].justification']]);
    // The scope: another dataset releases the set there too; one dataset fewer only narrows it.
    expect(triples(diffOf(exempt, ['datasets: [long_term_conditions]', 'datasets: [long_term_conditions, blood_pressure]']))).toEqual([
      ['exemption-datasets-added', REVIEW, 'exemptions.sensitive-codes[hiv_sti].datasets'],
    ]);
    expect(triples(reverseOf(exempt, ['datasets: [long_term_conditions]', 'datasets: [long_term_conditions, blood_pressure]']))).toEqual([
      ['exemption-datasets-removed', BASELINE, 'exemptions.sensitive-codes[hiv_sti].datasets'],
    ]);
    // Another legal basis is what the reviewer signs off.
    expect(triples(diffOf(exempt, ['notice: DPN-2026-001', 'approval: CAG 21/CAG/0123']))).toEqual([['exemption-text-changed', REVIEW, 'exemptions.sensitive-codes[hiv_sti].legal_basis']]);
  });

  it('classes encryption and delivery removed as needing review', () => {
    const encrypted = edit(PHM, ['layout: per_practice\n', 'layout: per_practice\n  encryption:\n    certificate: certs/icb.pem\n']);
    expect(triples(reverseOf(encrypted, ['  encryption:\n    certificate: certs/icb.pem\n', '']))).toEqual([['encryption-changed', NONE, 'output.encryption.certificate']]);
    expect(triples(diffOf(encrypted, ['  encryption:\n    certificate: certs/icb.pem\n', '']))).toEqual([['encryption-changed', REVIEW, 'output.encryption.certificate']]);
    expect(triples(diffOf(encrypted, ['certs/icb.pem', 'certs/other.pem']))).toEqual([['encryption-changed', REVIEW, 'output.encryption.certificate']]);
  });

  it('lists a population justification, classed by whether the fingerprint covers it', () => {
    const diff = diffOf(PHM, ['registration: permanent', 'registration: permanent\n  registration_justification: Temporary residents are counted elsewhere.']);
    expect(diff.changes.map((c) => [c.kind, c.path])).toEqual([['justification-changed', 'population.registration_justification']]);
    expect(diff.changes[0]!.class).toBe(diff.fingerprintChanged ? BASELINE : NONE);
  });

  it('classes a dataset reading another table as needing review, with what follows from it', () => {
    const diff = diffOf(PHM, ['    from: observation\n', '    from: referral\n'], ['value: month(effective_date)', 'value: month(referral_date)']);
    expect(triples(diff)).toContainEqual(['dataset-table-changed', REVIEW, 'datasets.long_term_conditions.from']);
    expect(triples(diff)).toContainEqual(['field-value-changed', REVIEW, 'datasets.long_term_conditions.fields.diagnosis_month']);
    expect(diff.changes.find((c) => c.kind === 'dataset-table-changed')).toMatchObject({ before: 'observation', after: 'referral' });
  });

  it('reports a difference that no detector itemises conservatively, rather than dropping it', () => {
    const before = resolve(PHM);
    const diff = diffDefinitions(before, { ...before, format: 2 as 1 });
    expect(triples(diff)).toEqual([['definition-changed', REVIEW, '']]);
    expect(diff.fingerprintChanged).toBe(true);
  });

  it('shows expressions in canonical exdef text, with before and after', () => {
    const diff = diffOf(PHM, ["interval '2 years'", "interval '3 years'"]);
    expect(diff.changes[0]).toMatchObject({
      before: BP_WHERE,
      after: "code in << 75367002 |Blood pressure| and effective_date >= today() - interval '3 years'",
    });
    const ltc = resolve(PHM).datasets[1]!.where!;
    expect(printIrExpression(ltc)).toBe('code in (<< 73211009 |Diabetes mellitus| OR << 38341003 |Hypertensive disorder| OR << 195967001 |Asthma|)');
  });

  it('prints what the definition printer prints for every expression of the examples (relations by their names)', () => {
    for (const name of readdirSync(resources.definitions).filter((f) => f.endsWith('.exdef.yaml'))) {
      const checked = checkDefinitionText(name, read(name), { catalogue });
      const d = checked.definition!;
      const expressions: [string, IrExpr][] = d.population.where ? [['/population/where', d.population.where]] : [];
      d.datasets.forEach((ds, i) => {
        if (ds.where) expressions.push([`/datasets/${i}/where`, ds.where]);
        ds.fields.forEach((f, j) => expressions.push([`/datasets/${i}/fields/${j}/value`, f.value]));
      });
      for (const [pointer, expression] of expressions) {
        const written = printExpression(checked.parsed.expressions.get(pointer)!).replace(/exists\(observation where/g, 'exists(observations where');
        expect(printIrExpression(expression), `${name} ${pointer}`).toBe(written);
      }
    }
  });

  it('closes a code set that a following condition would otherwise extend', () => {
    const d = resolve(edit(CHIS, ['where: code in << 33879002 |Administration of vaccine to produce active immunity|', 'where: (code in << 33879002) and 1 < 2']));
    expect(printIrExpression(d.datasets[1]!.where!)).toBe('(code in << 33879002) and 1 < 2');
  });
});

describe('no change in meaning', () => {
  const names = ['phm-warehouse', 'chis-immunisations', 'diabetes-recall', 'cervical-screening-recall', 'flu-vaccination-uptake', 'two-week-wait-audit'];

  it.each(names)('%s: the YAML and the exdef-language versions are the same definition', (name) => {
    const yaml = resolve(read(`${name}.exdef.yaml`), `${name}.exdef.yaml`);
    const exdef = resolve(read(`${name}.exdef`), `${name}.exdef`);
    const diff = diffDefinitions(yaml, exdef);
    expect(diff.changes).toEqual([]);
    expect(diff).toMatchObject({ fingerprintChanged: false, class: 'none', counts: { 'needs-ig-review': 0, 'needs-new-baseline': 0, 'no-effect': 0 } });
    expect(diffDefinitions(yaml, yaml).changes).toEqual([]);
  });

  it('ignores comments, key order, list style, line folding, parentheses, spacing and ECL terms', () => {
    const diff = diffOf(
      PHM,
      ['exdef: 1\n', '# Reviewed by the ICB DPO.\nexdef: 1\n'],
      ['mode: full\n', ''],
      ['use_case: data_warehouse\n', 'mode: full   # weekly full refresh\nuse_case: data_warehouse\n'],
      ['practices: [A81001, A81002, A81003]', 'practices:\n    - A81001\n    - A81002\n    - A81003'],
      ['warehouse for risk\n  stratification', 'warehouse for\n  risk stratification'],
      ['  on_opt_back_in: no_backfill\n', ''],
      [BP_WHERE, "(code in << 75367002 |Blood pressure observable entity|) AND (effective_date >= today() - interval '2  YEARS')"],
      ['      - name: sex\n', '      # Administrative sex, as recorded.\n      - name: sex\n'],
    );
    expect(diff.changes).toEqual([]);
    expect(diff.fingerprintChanged).toBe(false);
  });

  it('finds a change across syntaxes', () => {
    const exdef = readFileSync(INDIRECT_BASE.exdef, 'utf8');
    const diff = diffDefinitions(resolve(PHM), resolve(edit(exdef, ["pseudonym(nhs_number, 'phm-icb-key')", 'nhs_number'], ['VERSION 1', 'VERSION 2']), 'new.exdef'));
    expect(sorted(triples(diff))).toEqual(sorted([
      ['transform-finer', REVIEW, 'datasets.people.fields.person_key'],
      ['version-changed', NONE, 'version'],
    ]));
  });
});

describe('the fingerprint', () => {
  it('reports both fingerprints and whether they differ', () => {
    const before = resolve(PHM);
    const after = resolve(edit(PHM, ['mode: full', 'mode: delta']));
    const diff = diffDefinitions(before, after);
    expect(diff.old).toEqual({ id: 'phm-warehouse', version: 1, fingerprint: fingerprint(before) });
    expect(diff.new).toEqual({ id: 'phm-warehouse', version: 1, fingerprint: fingerprint(after) });
    expect(diff.fingerprintChanged).toBe(true);
    expect(diff.changes[0]!.changesFingerprint).toBe(true);
  });

  it('does not change for governance, schedule, output and version changes', () => {
    const diff = diffOf(
      PHM,
      ['version: 1', 'version: 2'],
      ['dpia: DPIA-2026-031', 'dpia: DPIA-2026-077'],
      ['frequency: weekly', 'frequency: monthly'],
      ['delimiter: "|"', 'delimiter: ","'],
      ['Age is the main driver of risk stratification.', 'Risk rises steeply with age.'],
    );
    expect(diff.fingerprintChanged).toBe(false);
    expect(diff.class).toBe(NONE);
    expect(diff.changes.every((c) => c.class === NONE && !c.changesFingerprint)).toBe(true);
  });

  it('classes a change that both widens scope and moves the fingerprint as needing review, flagging both', () => {
    const diff = diffOf(PHM, NEW_FIELD);
    expect(diff.changes[0]).toMatchObject({ class: REVIEW, changesFingerprint: true });
    expect(diff.fingerprintChanged).toBe(true);
  });

  it('orders changes most serious first and counts them', () => {
    const diff = diffOf(PHM, ['version: 1', 'version: 2'], [SEX_FIELD, ''], NEW_FIELD);
    expect(diff.changes.map((c) => c.class)).toEqual([REVIEW, BASELINE, NONE]);
    expect(diff.counts).toEqual({ [REVIEW]: 1, [BASELINE]: 1, [NONE]: 1 });
    expect(diff.class).toBe(REVIEW);
  });

  it('is plain data that survives JSON', () => {
    const diff = diffOf(PHM, NEW_FIELD, ['frequency: weekly', 'frequency: daily']);
    expect(JSON.parse(JSON.stringify(diff))).toEqual(diff);
  });
});
