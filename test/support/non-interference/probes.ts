/**
 * Hand-written probe definitions: each tries one route by which excluded data could reach an
 * output (issue 11). A probe must either be refused by lint or deliver the same bytes with and
 * without excluded data — the test does not care which, only that nothing leaks.
 */
import { definitionYaml, JUSTIFICATIONS, type DatasetText, type DefinitionText, type PopulationText } from './definition-text.js';

export const SEED_AS_OF = '2026-11-21';
const PAST_TODAY = '2026-06-01';

export interface Probe {
  name: string;
  /** The route it tries. */
  route: string;
  text: string;
  /** --today of the runs (default: the seed's as-of date). */
  today?: string;
}

const DIRECT: PopulationText = { registration: 'permanent', deceased: 'exclude', type1: 'override', nationalOptOut: 'not_applicable', practices: ['A81001'] };
const INDIRECT: PopulationText = { registration: 'permanent', deceased: 'exclude', type1: 'respect', practices: ['A81001', 'A81002'] };

let j = 0;
/** A field with its own justification. */
function f(name: string, value: string): { name: string; value: string; justification: string } {
  return { name, value, justification: JUSTIFICATIONS[j++ % JUSTIFICATIONS.length]! };
}

function probe(name: string, route: string, parts: { care?: 'direct' | 'indirect'; population?: Partial<PopulationText>; datasets: DatasetText[]; today?: string; mode?: 'full' | 'delta' }): Probe {
  const care = parts.care ?? 'direct';
  const today = parts.today ?? SEED_AS_OF;
  const definition: DefinitionText = {
    id: `probe-${name}`,
    useCase: care === 'direct' ? 'direct_care_planning' : 'data_warehouse',
    careType: care,
    population: { ...(care === 'direct' ? DIRECT : INDIRECT), ...parts.population },
    reviewed: new Date(Date.parse(`${today}T00:00:00Z`) - 30 * 86_400_000).toISOString().slice(0, 10),
    datasets: parts.datasets,
    ...(parts.mode ? { mode: parts.mode } : {}),
  };
  return { name, route, text: definitionYaml(definition), ...(parts.today ? { today: parts.today } : {}) };
}

const DIABETES = '<< 73211009 |Diabetes mellitus|';

export const PROBES: Probe[] = [
  probe('practice-exists-registrations', 'a dataset from practice tests exists() over registrations, reaching every patient registered there', {
    datasets: [
      {
        name: 'practices',
        from: 'practice',
        fields: [
          f('ods_code', 'ods_code'),
          f('has_diabetic', `exists(registrations where exists(patient.observations where code in ${DIABETES}))`),
          f('has_deceased', 'exists(registrations where patient.date_of_death is not null)'),
          f('has_temporary', "exists(registrations where registration_type = 'temporary')"),
          f('has_left', "exists(registrations where end_reason = 'left')"),
          f('has_breast_referral', "exists(registrations where exists(patient.referrals where urgency = 'two_week_wait'))"),
          // Every excluded patient this test adds is called Excluded, and no seeded patient is.
          f('has_excluded', "exists(registrations where patient.given_name = 'Excluded')"),
        ],
      },
    ],
  }),
  probe('practice-filtered-by-registrations', 'a dataset from practice filtered by exists() over its registrations', {
    datasets: [{ name: 'practices', from: 'practice', where: `exists(registrations where exists(patient.observations where code in << 38341003 |Hypertensive disorder|))`, fields: [f('ods_code', 'ods_code'), f('name', 'name')] }],
  }),
  probe('practice-rows', 'a dataset from practice: practices outside the definition\'s are rows of out-of-scope practices', {
    datasets: [{ name: 'practices', from: 'practice', fields: [f('ods_code', 'ods_code'), f('name', 'name'), f('postcode', 'postcode')] }],
  }),
  probe('registration-rows', 'a dataset from registration lists registrations of any patient, ended and temporary ones included', {
    datasets: [
      {
        name: 'registrations',
        from: 'registration',
        fields: [f('practice', 'practice_ods'), f('type', 'registration_type'), f('start', 'start_date'), f('end', 'end_date'), f('why', 'end_reason'), f('sex', 'patient.sex'), f('born', 'year(patient.date_of_birth)')],
      },
    ],
  }),
  probe('registration-of-the-dead', 'a dataset from registration filtered to patients with a date of death', {
    datasets: [{ name: 'registrations', from: 'registration', where: 'patient.date_of_death is not null', fields: [f('practice', 'practice_ods'), f('start', 'start_date')] }],
  }),
  probe('registration-to-practice-to-registrations', 'from registration, through practice, back to all registrations at that practice', {
    datasets: [
      {
        name: 'registrations',
        from: 'registration',
        fields: [f('practice', 'practice_ods'), f('practice_has_pds_like', `practice.ods_code`), f('any_diabetic_there', `exists(practice.registrations where exists(patient.observations where code in ${DIABETES}))`)],
      },
    ],
  }),
  probe('observation-joins-back-to-patient', 'a dataset from observation reading the patient and the current registration through to-one relations', {
    datasets: [
      {
        name: 'readings',
        from: 'observation',
        where: 'code in << 75367002 |Blood pressure|',
        fields: [f('code', 'code'), f('value', 'value_numeric'), f('born', 'patient.date_of_birth'), f('practice', 'patient.current_registration.practice_ods'), f('where_recorded', 'practice_ods'), f('in_consultation', 'consultation.consultation_type')],
      },
    ],
  }),
  probe('observations-at-other-practices', 'observations recorded at a practice outside the definition\'s practices, for population patients', {
    datasets: [
      { name: 'readings', from: 'observation', fields: [f('code', 'code'), f('where_recorded', 'practice_ods'), f('when', 'effective_date')] },
      { name: 'people', from: 'patient', fields: [f('nhs_number', 'nhs_number'), f('seen_elsewhere', "exists(observations where practice_ods <> 'A81001')"), f('registered_elsewhere', "exists(registrations where practice_ods <> 'A81001')")] },
    ],
  }),
  probe('consultation-observations', 'from consultation, exists() over its observations, and observations read through their consultation', {
    datasets: [
      { name: 'consultations', from: 'consultation', fields: [f('date', 'consultation_date'), f('type', 'consultation_type'), f('has_reading', 'exists(observations where value_numeric is not null)')] },
      { name: 'observations', from: 'observation', where: "consultation.consultation_type = 'face to face'", fields: [f('code', 'code'), f('date', 'effective_date')] },
    ],
  }),
  probe('exists-opt-outs', 'exists() over the opt-out control table, from patient and in the population filter', {
    population: { where: 'not exists(opt_outs)' },
    datasets: [{ name: 'people', from: 'patient', fields: [f('nhs_number', 'nhs_number'), f('opted_out_ever', 'exists(opt_outs)')] }],
  }),
  probe('opt-out-rows', 'a dataset from the opt-out control table', {
    datasets: [{ name: 'opt_outs', from: 'opt_out', fields: [f('nhs_number', 'patient.nhs_number'), f('sex', 'patient.sex')] }],
  }),
  probe('exists-documents', 'exists() over documents, and a dataset of document dates', {
    datasets: [
      { name: 'people', from: 'patient', fields: [f('nhs_number', 'nhs_number'), f('has_letters', 'exists(documents)')] },
      { name: 'letters', from: 'document', fields: [f('date', 'document_date')] },
    ],
  }),
  probe('population-filter-via-practice', 'the population filter reaching other patients through practice.registrations', {
    population: { where: "exists(current_registration.practice.registrations where patient.given_name = 'Excluded' and exists(patient.observations))" },
    datasets: [{ name: 'people', from: 'patient', fields: [f('nhs_number', 'nhs_number')] }],
  }),
  probe('population-filter-via-registrations', 'the population filter over the patient\'s own registrations, which include those at other practices', {
    population: { where: "exists(registrations where practice_ods <> 'A81001')" },
    datasets: [{ name: 'people', from: 'patient', fields: [f('nhs_number', 'nhs_number')] }],
  }),
  probe('patient-current-registration', 'fields through current_registration and the patient\'s registrations', {
    population: { registration: 'all' },
    datasets: [
      {
        name: 'people',
        from: 'patient',
        fields: [f('nhs_number', 'nhs_number'), f('practice', 'current_registration.practice_ods'), f('since', 'current_registration.start_date'), f('practice_name', 'current_registration.practice.name'), f('ever_temporary', "exists(registrations where registration_type <> 'permanent')")],
      },
    ],
  }),
  probe('indirect-counts-through-exists', 'indirect care: a de-identified dataset from practice, exists() over deep relations', {
    care: 'indirect',
    datasets: [
      {
        name: 'practices',
        from: 'practice',
        fields: [f('ods_code', 'ods_code'), f('any_referral', "exists(registrations where exists(patient.referrals where urgency = 'urgent'))"), f('any_medication', 'exists(registrations where exists(patient.medication_issues))')],
      },
    ],
  }),
  probe('indirect-pseudonymised-record', 'indirect care: pseudonymised rows of every clinical table', {
    care: 'indirect',
    datasets: [
      { name: 'people', from: 'patient', fields: [f('person', "pseudonym(nhs_number, 'k')"), f('born', 'year(date_of_birth)'), f('district', 'postcode_district(postcode)')] },
      { name: 'medication', from: 'medication_issue', fields: [f('person', "pseudonym(patient.nhs_number, 'k')"), f('drug', 'dmd_code'), f('month', 'month(issue_date)')] },
      { name: 'referrals', from: 'referral', fields: [f('person', "pseudonym(patient.nhs_number, 'k')"), f('code', 'code'), f('urgency', 'urgency')] },
      { name: 'appointments', from: 'appointment', fields: [f('person', "pseudonym(patient.nhs_number, 'k')"), f('status', 'status'), f('month', 'month(starts_at)')] },
    ],
  }),
  probe('delta-record-ids', 'a delta definition: record ids and the order of rows must not depend on excluded rows', {
    mode: 'delta',
    datasets: [{ name: 'readings', from: 'observation', where: `code in ${DIABETES}`, fields: [f('code', 'code'), f('date', 'effective_date'), f('nhs_number', 'patient.nhs_number')] }],
  }),
  probe('past-today', '--today in the past: patients who died, left or opted out after it (the excluded data is dated after it)', {
    today: PAST_TODAY,
    population: { type1: 'respect', nationalOptOut: 'respect' },
    datasets: [
      { name: 'people', from: 'patient', fields: [f('nhs_number', 'nhs_number'), f('born', 'date_of_birth')] },
      { name: 'registrations', from: 'registration', fields: [f('practice', 'practice_ods'), f('start', 'start_date')] },
    ],
  }),
  probe('past-today-indirect', '--today in the past, indirect care: deaths, departures and opt-outs after it', {
    care: 'indirect',
    today: PAST_TODAY,
    datasets: [{ name: 'people', from: 'patient', fields: [f('person', "pseudonym(nhs_number, 'k')"), f('born', 'year(date_of_birth)'), f('has_diabetes', `exists(observations where code in ${DIABETES})`)] }],
  }),
  probe('all-registrations-include-deceased', 'registration: all and deceased: include still exclude PDS-sensitive, opted-out, out-of-scope and confidential data', {
    population: { registration: 'all', deceased: 'include', practices: ['A81001', 'A81002'] },
    datasets: [
      { name: 'people', from: 'patient', fields: [f('nhs_number', 'nhs_number'), f('died', 'date_of_death')] },
      { name: 'observations', from: 'observation', fields: [f('code', 'code'), f('date', 'effective_date'), f('practice', 'practice_ods')] },
    ],
  }),
];
