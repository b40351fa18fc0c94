/**
 * Definition YAML for the non-interference tests: the governance a reviewer would sign off (so
 * that a definition is refused for what it extracts, not for missing paperwork), around the
 * population and datasets a test chooses. Scalars are written as JSON strings, which are YAML.
 */

export interface FieldText {
  name: string;
  value: string;
  justification: string;
}

export interface DatasetText {
  name: string;
  from: string;
  where?: string;
  fields: FieldText[];
}

export interface PopulationText {
  registration: 'permanent' | 'all';
  deceased: 'exclude' | 'include';
  type1: 'respect' | 'override';
  /** Absent: the default for the care type. */
  nationalOptOut?: 'respect' | 'not_applicable';
  practices: string[];
  where?: string;
}

export interface DefinitionText {
  id: string;
  useCase: 'targeted_reporting' | 'data_warehouse' | 'direct_care_planning';
  careType: 'direct' | 'indirect';
  population: PopulationText;
  mode?: 'full' | 'delta';
  layout?: 'single_zip' | 'per_practice';
  /** The review date: within the policy's three months of the run's --today. */
  reviewed: string;
  datasets: DatasetText[];
}

const q = (text: string) => JSON.stringify(text);

/** The YAML text of a definition. */
export function definitionYaml(d: DefinitionText): string {
  const p = d.population;
  const direct = d.careType === 'direct';
  const lines = [
    'exdef: 1',
    `id: ${d.id}`,
    `title: ${q(`Non-interference probe ${d.id}`)}`,
    'version: 1',
    'owner:',
    '  organisation: NHS Example Integrated Care Board',
    '  contact: ig@example-icb.nhs.uk',
    `use_case: ${d.useCase}`,
    `care_type: ${d.careType}`,
    `intended_use: ${q(
      direct
        ? 'Call and recall by the practice team of registered patients who are due a review of a long-term condition, so that invitations reach the right people.'
        : 'Planning of chronic disease services across the integrated care board, measuring how many people live with each condition in every neighbourhood.',
    )}`,
    'legal_basis:',
    '  article_6: 6(1)(e) public task',
    `  article_9: ${direct ? '9(2)(h) provision of health care' : '9(2)(h) management of health care systems'}`,
    `  statement: ${q(
      direct
        ? "The practice, as data controller, contacts its own registered patients about their care; the recall service acts under the practice's instructions."
        : 'Indirect care under the population health management programme of the board, with the data minimised and patients keyed by a pseudonym where they are keyed at all.',
    )}`,
    'dpia: DPIA-2026-311',
    'risk:',
    `  singling_out: ${q('Ages are reduced to bands or years and postcodes to districts where the data leave the practice; the recipient publishes counts only above ten.')}`,
    `  linkability: ${q('Pseudonyms are keyed for this recipient alone, so the files cannot be joined with any other organisation\'s extract.')}`,
    'review:',
    `  last_reviewed: ${d.reviewed}`,
    '  reviewer: ICB Data Protection Officer',
    'population:',
    `  registration: ${p.registration}`,
    ...(p.registration === 'all' ? [`  registration_justification: ${q('Temporary residents and patients registered for emergency treatment are seen by the same recall team and must be counted.')}`] : []),
    `  deceased: ${p.deceased}`,
    ...(p.deceased === 'include' ? [`  deceased_justification: ${q('The audit reviews the care given in the final year of life, so patients who have since died remain in scope.')}`] : []),
    `  type1_opt_out: ${p.type1}`,
    ...(p.type1 === 'override' ? [`  type1_opt_out_justification: ${q('A Type 1 objection covers uses beyond direct care; this recall by the patient\'s own practice is direct care, so it does not apply.')}`] : []),
    ...(p.nationalOptOut ? [`  national_data_opt_out: ${p.nationalOptOut}`] : []),
    ...(p.nationalOptOut === 'not_applicable' ? [`  national_data_opt_out_justification: ${q('The national opt-out does not cover the practice contacting its own patients for their individual care.')}`] : []),
    `  practices: [${p.practices.join(', ')}]`,
    ...(p.where ? [`  where: ${q(p.where)}`] : []),
    `mode: ${d.mode ?? 'full'}`,
    'schedule:',
    '  frequency: weekly',
    '  window: 01:00-05:00',
    'output:',
    '  csv:',
    '    delimiter: ","',
    `    quote: '"'`,
    '    header: true',
    '    line_ending: lf',
    `  layout: ${d.layout ?? 'single_zip'}`,
    'datasets:',
  ];
  for (const dataset of d.datasets) {
    lines.push(`  - name: ${dataset.name}`, `    from: ${dataset.from}`);
    if (dataset.where) lines.push(`    where: ${q(dataset.where)}`);
    lines.push('    fields:');
    for (const f of dataset.fields) lines.push(`      - name: ${f.name}`, `        value: ${q(f.value)}`, `        justification: ${q(f.justification)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Justifications that are each about something different (the policy refuses boilerplate and
 * near-duplicates): a field takes the one at its position in the definition.
 */
export const JUSTIFICATIONS = [
  'Lets the recall team check each person against the screening register before an invitation is sent.',
  'The service plans clinic capacity per neighbourhood, which needs the district the person lives in.',
  'Risk of complications rises steeply with age, so the model is stratified by age band.',
  'Prevalence of most long-term conditions differs between men and women, so rates are split by sex.',
  'Tells which condition was recorded, so that each person is counted in the right register.',
  'The month the diagnosis was made shows how long the condition has been managed.',
  'Control of blood pressure is judged on the latest reading, which this value carries.',
  'Links the readings of one person across the files without saying who the person is.',
  'Shows whether the person has ever had the test, which decides between a first invitation and a recall letter.',
  'Counts the prescriptions issued so that the audit can compare prescribing with the guideline.',
  'The referral urgency lets the audit measure waiting times against the two-week standard.',
  'Appointment outcomes show how many invitations led to an attended review.',
  'The clinic type tells face-to-face reviews from telephone ones in the capacity plan.',
  'Identifies the practice responsible for following up, as each practice runs its own clinics.',
  'Quantity issued is needed to estimate the number of days of treatment the person had.',
  'The date of the referral starts the clock of the waiting-time measure.',
  'Year of birth places the person in the cohort the vaccination programme invites.',
  'The registration type separates permanent patients from temporary residents in the list size.',
  'The start of registration shows whether the person joined the practice during the audit year.',
  'The practice name is printed on the invitation so the patient knows who is writing.',
  'The unit of the measurement is needed to read the numeric value correctly.',
  'Shows whether the person has a long-term condition that makes them eligible for the programme.',
  'The ethnic group is monitored to find and close gaps in uptake between communities.',
  'The status of the slot tells booked appointments from those that were missed.',
  'The role of the clinician shows which staff group carries the workload of reviews.',
  'The duration of the slot is needed to compute the clinical time spent on reviews.',
  'The target service shows where patients were sent, for planning of outpatient capacity.',
  'The date of issue shows whether treatment continued through the year.',
  'The date of the consultation marks when the person was last reviewed in the practice.',
  'The postcode of the premises places each practice on the map of the services planned.',
  'The given name is used to greet the patient in the invitation letter.',
  'The family name completes the postal address so that the letter is delivered.',
  'The telephone number lets the recall team send a text reminder before the clinic.',
  'The first line of the address is where the invitation letter is posted.',
  'The end of registration shows whether the person left the practice during the year.',
  'The reason a registration ended separates moves away from removals in the list audit.',
] as const;
