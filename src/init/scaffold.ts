/**
 * `exdef init`: a new definition with every governance field and a commented example dataset.
 *
 * The scaffold is text with comments, in either syntax (the test proves the two resolve to the
 * same definition, and that both pass lint once the placeholders are filled in). What only the author can know (the intended use, the legal
 * basis, the DPIA, the risk statements, each field's justification) is left as a `TODO:`
 * placeholder, which `exdef lint` reports until it is replaced (governance-complete,
 * justification-meaningful); the review date is left for the IG reviewer.
 */
import { stringify } from 'yaml';
import { hasErrors } from '../diagnostics/diagnostic.js';
import type { ExtractDefinition } from '../ir/extract-definition.js';
import { parseDefinitionText } from '../parse/parse-definition.js';

export type UseCase = ExtractDefinition['useCase'];
export type CareType = ExtractDefinition['careType'];
export type Syntax = 'yaml' | 'exdef';

export const USE_CASES: readonly UseCase[] = ['targeted_reporting', 'data_warehouse', 'direct_care_planning'];
export const CARE_TYPES: readonly CareType[] = ['direct', 'indirect'];
export const MODES = ['full', 'delta'] as const;

export interface ScaffoldAnswers {
  id: string;
  title: string;
  organisation: string;
  contact: string;
  useCase: UseCase;
  careType: CareType;
  practices: string[];
  mode: (typeof MODES)[number];
  syntax: Syntax;
  /** The JSON Schema for the editor's YAML language server, relative to the new file. */
  schemaPath: string;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The checks of the JSON Schema on what the scaffold takes from its user, as messages. */
export const ANSWER_CHECKS = {
  id: (v: string) => (/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(v) && v.length <= 63 ? undefined : 'an identifier in kebab-case (lower-case letters and digits joined by hyphens, e.g. asthma-review), at most 63 characters'),
  title: (v: string) => (v.trim() !== '' && !CONTROL.test(v) ? undefined : 'a short human-readable name on one line, not empty'),
  organisation: (v: string) => (v.trim() !== '' && !CONTROL.test(v) ? undefined : 'the name of the receiving organisation on one line, not empty'),
  contact: (v: string) => (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v.trim()) ? undefined : 'the email address of the person or team accountable for the extract'),
  practices: (v: string[]) =>
    v.length === 0 ? 'at least one practice ODS code' : v.find((p) => !/^[A-Z][A-Z0-9]{2,7}$/.test(p)) !== undefined ? `ODS codes (capital letters and digits, e.g. A81001); "${v.find((p) => !/^[A-Z][A-Z0-9]{2,7}$/.test(p))}" is not one` : new Set(v).size !== v.length ? 'each practice once' : undefined,
} as const;

/** The care type a use case implies (IM1 Bulk: direct care planning is direct care, the others indirect). */
export function careTypeOf(useCase: UseCase): CareType {
  return useCase === 'direct_care_planning' ? 'direct' : 'indirect';
}

/** A YAML scalar of a user's text, quoted when it has to be. */
function scalar(value: string): string {
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

/** The texts only the author can write, as placeholders lint reports until they are replaced. */
function placeholders(a: ScaffoldAnswers) {
  const direct = a.careType === 'direct';
  return {
    intendedUse: 'TODO: the intended use of the data',
    article6: 'TODO: the UK GDPR Article 6 lawful basis, e.g. 6(1)(e) public task',
    article9: `TODO: the Article 9 condition for health data, e.g. ${direct ? '9(2)(h) provision of health care' : '9(2)(h) management of health care systems'}`,
    statement: 'TODO: why the extraction is lawful and necessary',
    dpia: 'TODO: the reference of the DPIA that covers this extract',
    singlingOut: `TODO: ${direct ? 'why identifying patients is needed, and who holds the data' : 'why no individual can be singled out from the extract'}`,
    linkability: 'TODO: what the extract can be linked with, and why that is acceptable',
    reviewer: 'TODO: who reviews this extract (e.g. the Caldicott Guardian)',
    description: direct ? 'The patients the service contacts.' : 'One row per person in the population.',
    key: `${a.id}-key`,
  };
}

/** The example fields: identifiers for direct care; a keyed pseudonym and a generalised age for indirect care. */
function exampleFields(a: ScaffoldAnswers): { comment?: string; name: string; value: string; justification: string }[] {
  const key = `${a.id}-key`;
  return a.careType === 'direct'
    ? [
        { name: 'nhs_number', value: 'nhs_number', justification: 'TODO: why the NHS number is needed (e.g. to identify the patient to invite)' },
        { name: 'age_years', value: 'age_years(date_of_birth)', justification: 'TODO: why the age is needed' },
      ]
    : [
        { comment: `A keyed pseudonym (HMAC-SHA256 with the key \`${key}\`) instead of the NHS number.`, name: 'person_key', value: `pseudonym(nhs_number, '${key}')`, justification: 'TODO: why a person key is needed (e.g. to link rows of one person)' },
        { comment: 'Quasi-identifiers are generalised: five-year age bands, not dates of birth.', name: 'age_band', value: 'age_band(date_of_birth)', justification: 'TODO: why the age band is needed' },
      ];
}

const HEADER = [
  'A new IM1 Bulk extract definition, scaffolded by exdef init. Replace every TODO, then run',
  '`exdef lint` on this file: it reports what is still missing. docs/format.md describes every',
  'key, docs/language.md the language; docs/getting-started.md walks through authoring, testing',
  'and review.',
];

const SECOND_DATASET = (a: ScaffoldAnswers) => ({
  where: "code in << 73211009 |Diabetes mellitus| and effective_date >= today() - interval '12 months'",
  person: a.careType === 'direct' ? { name: 'nhs_number', value: 'patient.nhs_number' } : { name: 'person_key', value: `pseudonym(patient.nhs_number, '${a.id}-key')` },
});

export function scaffoldYaml(a: ScaffoldAnswers): string {
  const direct = a.careType === 'direct';
  const p = placeholders(a);
  const second = SECOND_DATASET(a);
  const lines = [
    `# yaml-language-server: $schema=${a.schemaPath}`,
    '#',
    ...HEADER.map((l) => `# ${l}`),
    '',
    'exdef: 1',
    `id: ${a.id}`,
    `title: ${scalar(a.title)}`,
    '# Raise the version at every approved change.',
    'version: 1',
    'owner:',
    `  organisation: ${scalar(a.organisation)}`,
    `  contact: ${scalar(a.contact.trim())}`,
    '',
    '# targeted_reporting, data_warehouse or direct_care_planning (the only IM1 Bulk use cases).',
    `use_case: ${a.useCase}`,
    `care_type: ${a.careType}`,
    '# What the data is used for, and by whom: specific enough to judge every field against.',
    `intended_use: ${scalar(p.intendedUse)}`,
    'legal_basis:',
    `  article_6: ${scalar(p.article6)}`,
    `  article_9: ${scalar(p.article9)}`,
    `  statement: ${scalar(p.statement)}`,
    '  # data_provision_notice: the reference of a statutory notice, where one applies',
    `dpia: ${scalar(p.dpia)}`,
    'risk:',
    `  singling_out: ${scalar(p.singlingOut)}`,
    `  linkability: ${scalar(p.linkability)}`,
    'review:',
    '  # last_reviewed: YYYY-MM-DD, the date of the IG review, filled in when it is approved',
    `  reviewer: ${scalar(p.reviewer)}`,
    'processing_location: uk',
    '',
    'population:',
    '  # permanent registrations only; `all` (temporary and emergency too) needs registration_justification.',
    '  registration: permanent',
    '  # Deceased patients are excluded; `include` needs deceased_justification.',
    '  deceased: exclude',
    `  # Patients with a Type 1 opt-out in force are excluded${direct ? '; direct care may `override` it, with type1_opt_out_justification' : ''}.`,
    '  type1_opt_out: respect',
    ...(direct ? [] : ['  # Indirect care respects the National Data Opt-out.', '  national_data_opt_out: respect']),
    '  on_opt_back_in: no_backfill',
    `  practices: [${a.practices.join(', ')}]`,
    '  # where: age_years(date_of_birth) >= 18',
    '',
    `mode: ${a.mode}`,
    'schedule:',
    '  # At most daily, overnight (UK time), as IM1 Bulk requires.',
    '  frequency: daily',
    '  window: 01:00-05:00',
    '',
    'output:',
    '  csv:',
    '    delimiter: ","',
    `    quote: '"'`,
    '    header: true',
    '    line_ending: crlf',
    '  # single_zip: one CSV per dataset; per_practice: a folder per practice.',
    '  layout: single_zip',
    "  # encryption: { certificate: certificates/recipient.pem }   # S/MIME to the recipient's certificate",
    '',
    'datasets:',
    '  # An example dataset: one CSV, one row per row of the `from` table that passes `where`.',
    '  # Each field names its CSV column, its value (a column or an expression) and why it is needed.',
    '  - name: people',
    `    description: ${p.description}`,
    '    from: patient',
    '    fields:',
    ...exampleFields(a).flatMap((f) => [...(f.comment ? [`      # ${f.comment}`] : []), `      - name: ${f.name}`, `        value: ${f.value}`, `        justification: ${scalar(f.justification)}`]),
    '  # A second dataset could read coded observations:',
    '  # - name: observations',
    '  #   from: observation',
    `  #   where: ${second.where}`,
    '  #   fields:',
    `  #     - { name: ${second.person.name}, value: "${second.person.value}", justification: ... }`,
    '  #     - { name: code, value: code, justification: ... }',
    '  #     - { name: month, value: month(effective_date), justification: ... }',
    '',
  ];
  return lines.join('\n');
}

/** An exdef-language string literal. */
function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function scaffoldExdef(a: ScaffoldAnswers): string {
  const direct = a.careType === 'direct';
  const p = placeholders(a);
  const second = SECOND_DATASET(a);
  const fields = exampleFields(a);
  const lines = [
    ...HEADER.map((l) => `-- ${l}`),
    '',
    'EXDEF 1;',
    '',
    '-- Raise the VERSION at every approved change.',
    `EXTRACT ${a.id}`,
    '  VERSION 1',
    `  TITLE ${literal(a.title)}`,
    `  OWNER ${literal(a.organisation)}`,
    `  CONTACT ${literal(a.contact.trim())};`,
    '',
    '-- USE CASE: targeted_reporting, data_warehouse or direct_care_planning (the only IM1 Bulk use cases).',
    '-- INTENDED USE: what the data is used for, and by whom: specific enough to judge every field against.',
    '-- LEGAL BASIS may also name a statutory data provision notice: NOTICE \'...\'.',
    '-- REVIEWED YYYY-MM-DD BY ...: the date of the IG review is filled in when it is approved.',
    'GOVERNANCE',
    `  USE CASE ${a.useCase}`,
    `  CARE ${a.careType}`,
    `  INTENDED USE ${literal(p.intendedUse)}`,
    '  LEGAL BASIS',
    `    ARTICLE 6 ${literal(p.article6)}`,
    `    ARTICLE 9 ${literal(p.article9)}`,
    `    STATEMENT ${literal(p.statement)}`,
    `  DPIA ${literal(p.dpia)}`,
    `  SINGLING OUT ${literal(p.singlingOut)}`,
    `  LINKABILITY ${literal(p.linkability)}`,
    `  REVIEWED BY ${literal(p.reviewer)}`,
    '  PROCESSING IN uk;',
    '',
    '-- REGISTRATION permanent: permanent registrations only; `all` needs a JUSTIFIED reason.',
    '-- DECEASED exclude: deceased patients are excluded; `include` needs a JUSTIFIED reason.',
    `-- TYPE1 OPT OUT respect: patients with a Type 1 opt-out in force are excluded${direct ? '; direct care may `override` it, JUSTIFIED' : ''}.`,
    ...(direct ? [] : ['-- NATIONAL OPT OUT respect: indirect care respects the National Data Opt-out.']),
    '-- A WHERE clause narrows the population, e.g. WHERE age_years(date_of_birth) >= 18',
    'POPULATION',
    '  REGISTRATION permanent',
    '  DECEASED exclude',
    '  TYPE1 OPT OUT respect',
    ...(direct ? [] : ['  NATIONAL OPT OUT respect']),
    '  ON OPT BACK IN no_backfill',
    `  PRACTICES ${a.practices.join(', ')};`,
    '',
    `MODE ${a.mode};`,
    '',
    '-- At most daily, overnight (UK time), as IM1 Bulk requires.',
    'SCHEDULE daily WINDOW 01:00-05:00;',
    '',
    "-- LAYOUT single_zip: one CSV per dataset; per_practice: a folder per practice. ENCRYPT TO 'certificates/recipient.pem' encrypts the ZIP (S/MIME) to the recipient's certificate.",
    'OUTPUT',
    `  CSV DELIMITER ',' QUOTE '"' HEADER ON LINE ENDING crlf`,
    '  LAYOUT single_zip;',
    '',
    '-- An example dataset: one CSV, one row per row of the FROM table that passes WHERE.',
    '-- Each field names its value (a column or an expression), its CSV column (AS) and why it is needed.',
    `DATASET people DESCRIPTION ${literal(p.description)} AS`,
    'SELECT',
    ...fields.flatMap((f, i) => [
      ...(f.comment ? [`  -- ${f.comment}`] : []),
      `  ${f.value === f.name ? f.value : `${f.value} AS ${f.name}`}`,
      `    JUSTIFY ${literal(f.justification)}${i === fields.length - 1 ? '' : ','}`,
    ]),
    'FROM patient;',
    '',
    '-- A second dataset could read coded observations:',
    '-- DATASET observations AS',
    '-- SELECT',
    `--   ${second.person.value} AS ${second.person.name} JUSTIFY '...',`,
    "--   code JUSTIFY '...',",
    "--   month(effective_date) AS month JUSTIFY '...'",
    '-- FROM observation',
    `-- WHERE ${second.where};`,
    '',
  ];
  return lines.join('\n');
}

/** The scaffold in the chosen syntax; one that does not parse is a bug, reported as such. */
export function scaffold(a: ScaffoldAnswers): string {
  const text = a.syntax === 'exdef' ? scaffoldExdef(a) : scaffoldYaml(a);
  const parsed = parseDefinitionText(`${a.id}.${a.syntax === 'exdef' ? 'exdef' : 'exdef.yaml'}`, text, a.syntax);
  if (hasErrors(parsed.diagnostics) || !parsed.document) {
    throw new Error(`the scaffold does not parse: ${parsed.diagnostics.map((d) => d.message).join('; ')}`);
  }
  return text;
}
