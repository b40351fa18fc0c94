/**
 * Adversarial r11/1: exact dates and timestamps of patients' rows are quasi-identifiers. A
 * registration's start date, an appointment's time, a recorded timestamp or a row's updated_at
 * released at full precision identifies (with sex and a postcode district it pins a person), in
 * lint's score and in the run's k query alike (src/disclosure/exact-dates.ts). Generalised — a
 * month, a year, an age, a difference of two dates of the record — it is not.
 */
import { describe, expect, it } from 'vitest';
import { compileText } from '../support/compile.js';
import { base, testRule, variant } from '../support/rule-tester.js';

/** The shipped indirect-care definition with its datasets replaced by `yaml` (a `datasets:` list body). */
function withDatasets(yaml: string): string {
  return variant(base.indirect(), /\ndatasets:\n[\s\S]*$/, `\ndatasets:\n${yaml}`);
}

/** A dataset of `table` with the person's pseudonym (through `patient`), its sex and district, and `fields`. */
const dataset = (name: string, table: string, fields: string, options: { where?: string; person?: boolean } = {}) => `  - name: ${name}
    from: ${table}
${options.where ? `    where: ${options.where}\n` : ''}    fields:
${options.person === false ? '' : `      - name: person_key
        value: pseudonym(patient.nhs_number, 'phm-icb-key')
        justification: Links each row to the person without revealing who they are.
      - name: sex
        value: patient.sex
        justification: Prevalence and demand differ by sex.
      - name: district
        value: postcode_district(patient.postcode)
        justification: Locates demand by neighbourhood for service planning.
`}${fields}`;

const field = (name: string, value: string, justification: string) => `      - name: ${name}
        value: ${value}
        justification: ${justification}
`;

const exact = /singles people out: .*\(exact date(?: and time)?, \d+\.\d bits\)/;

testRule('disclosure-risk', {
  valid: [
    {
      name: 'clean: a registration start cut to the month',
      text: withDatasets(dataset('registrations', 'registration', field('started', 'month(start_date)', 'Turnover of registrations by month drives capacity planning.'))),
    },
    {
      name: 'clean: an appointment time cut to the year, beside its status',
      text: withDatasets(dataset('appointments', 'appointment', field('year_booked', 'year(starts_at)', 'Demand is compared year on year.') + field('outcome', 'status', 'Missed appointments are the measure.'))),
    },
    {
      name: 'clean: a date difference of two dates of the record (days from consultation to recording)',
      text: withDatasets(dataset('delays', 'observation', field('delay', 'date_of(recorded_at) - consultation.consultation_date', 'The delay between seeing and recording is the audit measure.'), { where: 'code in << 75367002 |Blood pressure|' })),
    },
    {
      name: 'clean: a date tested, not shown (a boolean field)',
      text: withDatasets(dataset('readings', 'observation', field('recent', "effective_date >= today() - interval '1 year'", 'Whether the reading is recent is all the audit needs.'), { where: 'code in << 75367002 |Blood pressure|' })),
    },
    {
      name: 'clean: exists(...) over rows with dates shows a boolean',
      text: withDatasets(dataset('people', 'patient', "      - name: seen_recently\n        value: exists(appointments where starts_at >= today() - interval '1 year')\n        justification: Whether the person was seen this year drives outreach.\n", { person: false })),
    },
  ],
  invalid: [
    {
      name: 'a registration start date at full precision, with sex and district',
      text: withDatasets(dataset('⟦registrations', 'registration', field('started', 'start_date', 'Turnover of registrations drives capacity planning.'))),
      findings: [{ message: /^dataset `registrations` singles people out: .*start_date \(exact date, 12\.8 bits\)/ }],
    },
    {
      name: 'an appointment start time, alone with a pseudonym',
      text: withDatasets(dataset('⟦appointments', 'appointment', field('booked', 'starts_at', 'Demand by hour of day drives rota planning.'), { person: false }).replace('    fields:\n', "    fields:\n      - name: person_key\n        value: pseudonym(patient.nhs_number, 'phm-icb-key')\n        justification: Links each appointment to the person without revealing who they are.\n")),
      findings: [{ message: /^dataset `appointments` singles people out: starts_at \(exact date and time, 23\.3 bits\)/ }],
    },
    {
      name: "a patient's updated_at (a system timestamp)",
      text: withDatasets(`  - name: ⟦people
    from: patient
    fields:
      - name: person_key
        value: pseudonym(nhs_number, 'phm-icb-key')
        justification: Links a person's records across datasets without revealing who they are.
      - name: changed
        value: updated_at
        justification: Tells the warehouse which records changed since the last load.
`),
      findings: [{ message: /^dataset `people` singles people out: updated_at \(exact date and time/ }],
    },
    {
      name: "an observation's recorded timestamp",
      text: withDatasets(dataset('⟦readings', 'observation', field('recorded', 'recorded_at', 'Recording practice is audited by time of entry.'), { where: 'code in << 75367002 |Blood pressure|' })),
      findings: [{ message: /recorded_at \(exact date and time/ }],
    },
    {
      name: 'a clinical date computed (+ 0) keeps its precision',
      text: withDatasets(dataset('⟦readings', 'observation', field('taken', 'effective_date + 0', 'Recency of control is what the measure needs.'), { where: 'code in << 75367002 |Blood pressure|' })),
      findings: [{ message: /effective_date \(exact date, 12\.8 bits\)/ }],
    },
    {
      name: 'a date minus a constant date is the date (a shift, not a difference)',
      text: withDatasets(dataset('⟦readings', 'observation', field('day_number', "effective_date - date '2000-01-01'", 'Days since the programme start date index the readings.'), { where: 'code in << 75367002 |Blood pressure|' })),
      findings: [{ message: exact }],
    },
    {
      name: 'a date minus a coalesce that is a constant (an empty end date) is the date',
      text: withDatasets(dataset('⟦registrations', 'registration', field('day_number', "start_date - coalesce(end_date, date '1900-01-01')", 'Length of registration drives continuity of care measures.'))),
      findings: [{ message: /start_date \(exact date, 12\.8 bits\)/ }],
    },
    {
      name: 'a date minus the load timestamp (updated_at, the same on every row) is the date',
      text: withDatasets(dataset('⟦readings', 'observation', field('age_of_reading', 'effective_date - date_of(updated_at)', 'How old each reading is at load drives recall.'), { where: 'code in << 75367002 |Blood pressure|' })),
      findings: [{ message: /effective_date \(exact date, 12\.8 bits\)/ }],
    },
    {
      name: 'the day of an appointment (date_of a timestamp) is an exact date',
      text: withDatasets(dataset('⟦appointments', 'appointment', field('booked_on', 'date_of(starts_at)', 'Demand by day drives rota planning.'))),
      findings: [{ message: /starts_at \(exact date and time/ }],
    },
    {
      name: 'coalesce of two exact dates is exact',
      text: withDatasets(dataset('⟦registrations', 'registration', field('changed', 'coalesce(end_date, start_date)', 'The latest registration event drives list cleaning.'))),
      findings: [{ message: /(end_date|start_date) \(exact date/ }],
    },
    {
      name: 'two different cuts of one event date tell it whole',
      text: withDatasets(dataset('⟦readings', 'observation', field('month_a', 'month(effective_date + 1)', 'Recency of control by calendar month.') + field('month_b', 'month(effective_date + 16)', 'Recency of control by reporting month, which starts mid-month.'), { where: 'code in << 75367002 |Blood pressure|' })),
      findings: [{ message: /effective_date \(exact date, told by 2 different generalisations/ }],
    },
    {
      name: 'an exact date in one dataset, sex and district in another, linked by the pseudonym',
      text: withDatasets(
        dataset('⟦registrations', 'registration', field('started', 'start_date', 'Turnover of registrations drives capacity planning.'), { person: false }).replace('    fields:\n', "    fields:\n      - name: person_key\n        value: pseudonym(patient.nhs_number, 'phm-icb-key')\n        justification: Links each registration to the person without revealing who they are.\n") +
          `  - name: ⟦people
    from: patient
    fields:
      - name: person_key
        value: pseudonym(nhs_number, 'phm-icb-key')
        justification: Links a person's records across datasets without revealing who they are.
      - name: sex
        value: sex
        justification: Prevalence and risk models differ by sex.
      - name: district
        value: postcode_district(postcode)
        justification: Locates need by neighbourhood for service planning.
`,
      ),
      findings: [{ severity: 'warning', message: /leaves small groups: start_date \(exact date/ }, { message: /are linked .* and, joined, single people out: .*start_date \(exact date/ }],
    },
  ],
});

describe('the run measures exact dates as the lint scores them (one definition of quasi-identifier)', () => {
  const plan = (fields: string, table = 'registration') => compileText(withDatasets(dataset('rows', table, fields))).plan.datasets[0]!.disclosure;

  it('an exact registration start date is a quasi-identifier of the k query', () => {
    const d = plan(field('started', 'start_date', 'Turnover of registrations drives capacity planning.'));
    expect(d.quasiIdentifiers).toEqual(['sex', 'district', 'started']);
  });

  it('an appointment time, its day and an updated_at are measured', () => {
    const d = plan(field('booked', 'starts_at', 'Demand by hour.') + field('day', 'date_of(starts_at)', 'Demand by day.') + field('changed', 'updated_at', 'Changed rows.'), 'appointment');
    expect(d.quasiIdentifiers).toEqual(['sex', 'district', 'booked', 'day', 'changed']);
  });

  it('a month, a year and a test of a date are not; a difference of two record dates, not an exact date, is measured all the same (day precision)', () => {
    const d = plan(field('m', 'month(effective_date)', 'Month.') + field('y', 'year(recorded_at)', 'Year.') + field('delay', 'date_of(recorded_at) - consultation.consultation_date', 'Delay.') + field('recent', "effective_date >= today() - interval '1 year'", 'Recent.'), 'observation');
    expect(d.quasiIdentifiers).toEqual(['sex', 'district', 'delay']);
  });

  it('two different cuts of one event date are both measured', () => {
    const d = plan(field('a', 'month(effective_date + 1)', 'A.') + field('b', 'month(effective_date + 16)', 'B.'), 'observation');
    expect(d.quasiIdentifiers).toEqual(['sex', 'district', 'a', 'b']);
  });
});
