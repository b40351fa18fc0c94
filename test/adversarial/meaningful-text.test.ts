/**
 * Adversarial corpus, meaningful texts (issue 11, item 6): texts written to get past review —
 * placeholders, hidden and look-alike characters, stock phrases in disguise, filler, repetition
 * and near copies — across every kind of text a reviewer relies on. Each bypass asserts the rule
 * and the position; the clean cases are honest texts that must stay clean.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resources } from '../../src/resources.js';
import { base, testRule, variant, INDIRECT_BASE } from '../support/rule-tester.js';

const phm = base.indirect();
const phmExdef = readFileSync(INDIRECT_BASE.exdef, 'utf8');
const chis = base.direct();
const SEX = 'justification: Prevalence and risk models differ by sex.';
/** The warehouse feed with the justification of people.sex replaced (`text` may hold a ⟦ marker). */
const sex = (text: string) => variant(phm, SEX, `justification: ${text}`);
const field = (from: string, to: string) => (text: string) => variant(text, `justification: ${from}`, `justification: ${to}`);

testRule('justification-meaningful', {
  valid: [
    { name: 'short but specific', text: sex('Risk models differ by sex.') },
    { name: 'clinical abbreviations are words', text: sex('HbA1c and eGFR trends differ by sex.') },
    { name: 'a stock phrase inside a real reason', text: sex("'Required for analysis: cardiovascular risk differs by sex.'") },
    { name: 'a comparison sign is not a template slot', text: sex("'Groups with k < 10 by sex are suppressed; > 10 are kept.'") },
    {
      name: 'one justification shared by two fields through a YAML alias',
      text: field('Links each reading to the person.', '*links')(field('Links each diagnosis to the person.', '&links Links each record to the person it belongs to.')(phm)),
    },
  ],
  invalid: [
    { name: 'n/a', text: sex('⟦n/a'), findings: [{ message: /still a placeholder \("n\/a"\)/ }] },
    { name: 'a dash', text: sex("⟦'-'"), findings: [{ message: /placeholder/ }] },
    { name: 'None.', text: sex('⟦None.'), findings: [{ message: /placeholder/ }] },
    { name: 'an ellipsis', text: sex("⟦'...'"), findings: [{ message: /placeholder/ }] },
    { name: 'a question mark', text: sex("⟦'?'"), findings: [{ message: /placeholder/ }] },
    { name: 'x', text: sex('⟦x'), findings: [{ message: /placeholder/ }] },
    { name: 'TBC with a reason to come', text: sex('⟦TBC - to be agreed with the ICB'), findings: [{ message: /placeholder/ }] },
    { name: 'an [insert ...] slot', text: sex("⟦'[insert justification here]'"), findings: [{ message: /placeholder/ }] },
    { name: 'a <...> slot inside a sentence', text: sex("⟦'Sex is extracted because <reason>.'"), findings: [{ message: /placeholder/ }] },
    { name: 'a zero-width space inside a real-looking text, at the character', text: sex('Prevalence and risk models ⟦\u200bdiffer by sex.'), findings: [{ message: /hides a zero-width space \(U\+200B\) at character 28/ }] },
    { name: 'a stock phrase padded with zero-width spaces', text: sex('⟦\u200bNeeded for analysis\u200b\u200b\u200b'), findings: [{ message: /zero-width space \(U\+200B\) at character 1 and 3 more/ }] },
    {
      // Every character an escape the source does not show as itself: locating stays linear (it
      // once took minutes), and the finding points at the first.
      name: 'twenty thousand escaped zero-width spaces after a real reason, at the first',
      text: sex('"Prevalence and risk models differ by sex.⟦' + '\\u200b'.repeat(20_000) + '"'),
      findings: [{ message: /zero-width space \(U\+200B\) at character 42 and 19999 more/ }],
    },
    { name: 'a zero-width space written as a YAML escape', text: sex('"Prevalence and risk models differ by sex.⟦\\u200b"'), findings: [{ message: /zero-width space/ }] },
    { name: 'a right-to-left override', text: sex('Prevalence and risk models ⟦\u202edifferent by sex.'), findings: [{ message: /right-to-left override \(U\+202E\)/ }] },
    { name: 'Cyrillic look-alike letters in a stock phrase', text: sex('N⟦ееded for analysis.'), findings: [{ message: /Cyrillic "е" \(U\+0435\) that looks like "e"/ }] },
    { name: 'a stock phrase padded with no-break spaces', text: sex('⟦Needed\u00a0\u00a0for\u00a0\u00a0analysis\u00a0.'), findings: [{ message: /stock phrase/ }] },
    { name: 'a stock phrase in full-width letters', text: sex('⟦Ｎｅｅｄｅｄ ｆｏｒ ａｎａｌｙｓｉｓ'), findings: [{ message: /stock phrase/ }] },
    { name: '"Required for analysis purposes." worded otherwise', text: sex('⟦Required for analytical purposes.'), findings: [{ message: /stock phrase/ }] },
    { name: 'the purposes of analysis, shouted', text: sex('⟦REQUIRED FOR THE PURPOSES OF ANALYSIS!!!'), findings: [{ message: /stock phrase/ }] },
    { name: 'a longer stock phrase made of generic words', text: sex('⟦Required for the analysis and reporting of data for business purposes.'), findings: [{ message: /stock phrase/ }] },
    { name: 'a stock phrase that names the field', text: sex('⟦The sex field is required for analysis.'), findings: [{ message: /stock phrase/ }] },
    { name: 'lorem ipsum', text: sex('⟦Lorem ipsum dolor sit amet, consectetur adipiscing elit.'), findings: [{ message: /lorem ipsum/ }] },
    { name: 'keyboard mashing', text: sex('⟦asdf asdf asdf asdf'), findings: [{ message: /keyboard mashing/ }] },
    { name: 'keyboard mashing among real words', text: sex('⟦Prevalence qwerty models zxcvb differ.'), findings: [{ message: /"qwerty" is keyboard mashing/ }] },
    { name: 'one word repeated to reach the length', text: sex('⟦sex sex sex sex sex sex sex sex'), findings: [{ message: /repeats the same words/ }] },
    { name: 'a short phrase repeated', text: sex('⟦Age band risk. Age band risk. Age band risk.'), findings: [{ message: /repeats the same words/ }] },
    {
      name: "in the exdef language: a zero-width joiner after a doubled quote, at the character",
      syntax: 'exdef',
      text: variant(phmExdef, "JUSTIFY 'Links a person''s records across datasets without revealing who they are.'", "JUSTIFY 'Links a person''s records ⟦\u200dacross datasets without revealing who they are.'"),
      findings: [{ message: /zero-width joiner \(U\+200D\) at character 26/ }],
    },
    { name: 'in the exdef language: a stock phrase', syntax: 'exdef', text: variant(phmExdef, "JUSTIFY 'Prevalence and risk models differ by sex.'", "JUSTIFY ⟦'Data required for reporting purposes.'"), findings: [{ message: /stock phrase/ }] },
    { name: 'one word written twice', text: sex('⟦Prevalence, prevalence!'), findings: [{ message: /says too little: it has too few distinct words to say why \(1; at least 3\)/ }] },
  ],
});

const programme = (word: string) => `Required for the ICB risk stratification programme (${word}).`;
testRule('justification-not-repeated', {
  valid: [
    {
      name: 'parallel but different justifications for related fields',
      text: field('Links a person\'s records across datasets without revealing who they are.', 'Links each person to their diagnoses and readings.')(phm),
    },
    { name: 'names on a letter share a justification', text: base.recall() },
  ],
  invalid: [
    {
      name: 'one sentence with one word changed on three fields',
      text: field('Locates need by neighbourhood for service planning.', `⟦${programme('place')}`)(field('Prevalence and risk models differ by sex.', programme('gender'))(field('Age is the main driver of risk stratification.', programme('age'))(phm))),
      findings: [{ message: /^the same justification is used on 3 fields \(people.birth_year, people.sex, people.postcode_district\), worded slightly differently/ }],
    },
    {
      name: 'copies made to differ by a look-alike letter and a zero-width space',
      alsoTriggers: ['justification-meaningful'],
      text: field('Locates need by neighbourhood for service planning.', '⟦Age is the main driver of risk stratificati\u200bon.')(field('Prevalence and risk models differ by sex.', 'Age is the main drivеr of risk stratification.')(phm)),
      findings: [{ message: /used on 3 fields \(people.birth_year, people.sex, people.postcode_district\)/ }],
    },
    {
      name: 'copies across datasets, each naming its own field',
      text: field('Links each reading to the person.', '⟦Links the person_key to the patient for the ICB warehouse.')(
        field('Identifies the long-term condition.', 'Links the condition_code to the patient for the ICB warehouse.')(field('Links each diagnosis to the person.', 'Links the person_key to the patient for the ICB warehouse.')(phm)),
      ),
      findings: [{ message: /used on 3 fields \(long_term_conditions.person_key, long_term_conditions.condition_code, blood_pressure.person_key\)/ }],
    },
    {
      name: 'a population justification that repeats the intended use',
      text: variant(
        phm,
        '  deceased: exclude\n',
        '  deceased: include\n  deceased_justification: ⟦Pseudonymised feed to the ICB population health management warehouse for risk stratification and service planning.\n',
      ),
      findings: [{ message: /^the justification `population.deceased_justification` .* repeats `intended_use`/ }],
    },
    {
      name: 'a field justification that repeats the legal basis statement',
      text: sex("⟦Indirect care under the ICB's population health management programme; no direct identifiers leave the practice."),
      findings: [{ message: /`people.sex` .* repeats `legal_basis.statement`/ }],
    },
  ],
});

const governance = (from: string | RegExp, to: string) => variant(phm, from, to);
const LINKABILITY = /  linkability: >-\n(    [^\n]*\n)+/;
testRule('governance-complete', {
  valid: [
    { name: 'a short DPIA reference', text: governance('dpia: DPIA-2026-031', 'dpia: DPIA-7') },
    { name: 'a DPIA named by its title', text: governance('dpia: DPIA-2026-031', 'dpia: ICB population health management DPIA, version two') },
  ],
  invalid: [
    { name: 'intended use n/a', text: governance(/intended_use: >-\n[^\n]*\n[^\n]*\n/, 'intended_use: ⟦n/a\n'), findings: [{ message: /placeholder for the intended use/ }] },
    { name: 'intended use as a stock phrase', text: governance(/intended_use: >-\n[^\n]*\n[^\n]*\n/, 'intended_use: ⟦Required for analysis and reporting purposes.\n'), findings: [{ message: /does not state the intended use .*stock phrase/ }] },
    { name: 'intended use with a bidi override, at the character', text: governance('service planning of long-term conditions.', 'service planning of long-term ⟦\u202econditions.'), findings: [{ message: /right-to-left override/ }] },
    { name: 'a DPIA reference that is a dash', text: governance('dpia: DPIA-2026-031', "dpia: ⟦'-'"), findings: [{ message: /placeholder for the DPIA reference/ }] },
    { name: 'a DPIA reference that names no document', text: governance('dpia: DPIA-2026-031', 'dpia: ⟦Approved by the board'), findings: [{ message: /does not state the DPIA reference .*does not identify a document/ }] },
    { name: 'see DPIA', text: governance('dpia: DPIA-2026-031', 'dpia: ⟦see DPIA'), findings: [{ message: /does not state the DPIA reference .*stock phrase/ }] },
    { name: 'a DPIA reference padded with a soft hyphen', text: governance('dpia: DPIA-2026-031', 'dpia: DPIA-2026-⟦\u00ad031'), findings: [{ message: /soft hyphen \(U\+00AD\)/ }] },
    { name: 'an Article 6 basis to be confirmed', text: governance('article_6: 6(1)(e) public task', 'article_6: ⟦TBC'), findings: [{ message: /placeholder for the UK GDPR Article 6/ }] },
    { name: 'a legal basis statement in lorem ipsum', text: governance(/  statement: >-\n[^\n]*\n[^\n]*\n/, '  statement: ⟦Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod.\n'), findings: [{ message: /lorem ipsum/ }] },
    { name: 'a singling-out statement that says None.', text: governance(/  singling_out: >-\n[^\n]*\n[^\n]*\n/, '  singling_out: ⟦None.\n'), findings: [{ message: /placeholder for a statement on the risk of singling out/ }] },
    { name: 'a two-word risk statement', text: governance(/  singling_out: >-\n[^\n]*\n[^\n]*\n/, '  singling_out: ⟦Low risk.\n'), findings: [{ message: /too short/ }] },
    {
      name: 'a linkability statement that copies the singling-out statement with a word changed',
      text: governance(LINKABILITY, '  linkability: ⟦Year of birth, sex and postcode district only; with a population of tens of thousands per district the smallest group is expected to be far above 20.\n'),
      findings: [{ message: /repeats a statement on the risk of singling out .* as a statement on the risk of linkability/ }],
    },
    { name: 'a reviewer that is only zero-width spaces', text: governance('reviewer: ICB Data Protection Officer', 'reviewer: "⟦\\u200b\\u200b"'), findings: [{ message: /who reviewed it.*zero-width space/ }] },
  ],
});

testRule('deceased-excluded', {
  valid: [{ name: 'a real reason', text: variant(phm, '  deceased: exclude\n', '  deceased: include\n  deceased_justification: Mortality review of the cohort needs the patients who died.\n') }],
  invalid: [
    { name: 'deceased included for n/a', text: variant(phm, '  deceased: exclude\n', '  deceased: include\n  deceased_justification: ⟦n/a\n'), findings: [{ message: /deceased_justification \("n\/a"\) does not justify including deceased patients: it is a placeholder/ }] },
  ],
});

testRule('registration-permanent', {
  valid: [],
  invalid: [
    {
      name: 'all registrations for a stock phrase',
      text: variant(phm, '  registration: permanent\n', '  registration: all\n  registration_justification: ⟦Required for analysis purposes.\n'),
      findings: [{ message: /does not justify extracting all registrations: it is a stock phrase/ }],
    },
  ],
});

testRule('type1-opt-out', {
  valid: [],
  invalid: [
    {
      name: 'Type 1 overridden in direct care for keyboard mashing',
      text: variant(chis, '  type1_opt_out: respect\n', '  type1_opt_out: override\n  type1_opt_out_justification: ⟦asdf jkl; asdf jkl;\n'),
      findings: [{ message: /does not justify overriding Type 1 opt-outs: "asdf" is keyboard mashing/ }],
    },
  ],
});

testRule('national-data-opt-out', {
  valid: [],
  invalid: [
    {
      name: 'the National Data Opt-out set aside for a hidden text',
      text: variant(
        variant(phm, '  type1_opt_out: respect\n', '  type1_opt_out: respect\n  national_data_opt_out: not_applicable\n  national_data_opt_out_justification: "Required under the notice.⟦\\u2066"\n'),
        'article_9: 9(2)(h) management of health care systems',
        'article_9: 9(2)(h) management of health care systems\n  data_provision_notice: NHS England DPN 2026-11 (GP data for planning)',
      ),
      findings: [{ message: /does not justify setting the National Data Opt-out aside: it hides a left-to-right isolate/ }],
    },
  ],
});
