/**
 * Adversarial corpus, code sets by meaning (issue 11, item 5): definitions written to ask for
 * sensitive codes while looking as if they do not. Each must be refused by sensitive-codes at the
 * written sensitive part (or the whole set when no part can be blamed); the clean ones are honest
 * work that must stay clean. Sample terminology facts used: 86406008 HIV infection (child
 * 62479008 AIDS) and 165816005 HIV positive are in the hiv_sti refset 999004381000000103, as is
 * 999900221000000108 (emtricitabine/tenofovir, a dm+d product); 40733004 Infectious disease has
 * only STI children; 118199002 heads the sexuality hierarchy; 714812005 is termination of
 * pregnancy; 64572001 Disease holds six sensitive concepts among 25.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resources } from '../../src/resources.js';
import { exemptionYaml } from '../support/exemption-yaml.js';
import { base, testRule, variant, INDIRECT_BASE } from '../support/rule-tester.js';

const phm = base.indirect();
const phmExdef = readFileSync(INDIRECT_BASE.exdef, 'utf8');
const HIV_REFSET = '999004381000000103';

/** phm-warehouse with the long_term_conditions filter replaced (observation rows). */
const ltc = (where: string) => variant(phm, /    where: >-\n      code in \(<< 73211009[^\n]*\n[^\n]*\n/, `    where: ${where}\n`);
/** phm-warehouse with a population filter. */
const population = (where: string) => variant(phm, '  practices: [A81001, A81002, A81003]\n', `  practices: [A81001, A81002, A81003]\n  where: ${where}\n`);
/** phm-warehouse with one more field on long_term_conditions. */
const field = (value: string) =>
  variant(phm, '        value: code\n        justification: Identifies the long-term condition.\n', `        value: code\n        justification: Identifies the long-term condition.\n      - name: flag\n        value: ${value}\n        justification: Marks the rows the clinical team follows up.\n`);
/** phm-warehouse with one more field on the people dataset (patient rows). */
const personField = (value: string) =>
  variant(phm, '        value: sex\n        justification: Prevalence and risk models differ by sex.\n', `        value: sex\n        justification: Prevalence and risk models differ by sex.\n      - name: flag\n        value: ${value}\n        justification: Marks the people the clinical team follows up.\n`);
/** phm-warehouse whose long_term_conditions dataset is replaced by one over `table`. */
const dataset = (table: 'medication_issue' | 'referral', where: string) => {
  const [code, date] = table === 'medication_issue' ? ['dmd_code', 'issue_date'] : ['code', 'referral_date'];
  return variant(
    phm,
    /  - name: long_term_conditions\n[\s\S]*?(?=  - name: blood_pressure)/,
    `  - name: ${table === 'medication_issue' ? 'medicines' : 'referrals'}\n    from: ${table}\n    where: ${where}\n    fields:\n      - name: person_key\n        value: pseudonym(patient.nhs_number, 'phm-icb-key')\n        justification: Links each row to the person.\n      - name: item_code\n        value: ${code}\n        justification: Identifies what was issued or why the patient was referred.\n      - name: item_month\n        value: month(${date})\n        justification: The month is precise enough to follow the pathway over time.\n\n`,
  );
};
/** The exdef-language phm-warehouse with a population filter. */
const exdefPopulation = (where: string) => variant(phmExdef, '  PRACTICES A81001, A81002, A81003;\n', `  PRACTICES A81001, A81002, A81003\n  WHERE ${where};\n`);
/** The exdef-language phm-warehouse with the long_term_conditions WHERE replaced. */
const exdef = (where: string) => variant(phmExdef, /WHERE code in \(<< 73211009[^\n]*\n/, `WHERE ${where};\n`);

/** An organisation's policy file on top of the default one. */
function policyFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'exdef-code-sets-')), name);
  writeFileSync(path, text);
  return path;
}
const smokingPolicy = policyFile('smoking.yaml', 'policy: 1\nsensitive_code_sets:\n  smoking:\n    title: Smoking\n    ecl: (<< 365980008 MINUS << 266919005) OR (<< 404684003 AND << 8517006)\n');
const findingsPolicy = policyFile('findings.yaml', 'policy: 1\nsensitive_code_sets:\n  findings_not_diseases:\n    title: Findings other than diseases\n    ecl: << 404684003 MINUS << 64572001\n');
const termsPolicy = policyFile('terms.yaml', 'policy: 1\nsensitive_terms:\n  hiv_sti: [Blue Door clinic]\n');
const strictPolicy = policyFile('strict.yaml', 'policy: 1\nthresholds:\n  code_set_min_remaining: 30\n');

const asks = (set: string) => ({ message: new RegExp(`asks for .* \\(sensitive set \`${set}\`\\)`) });
const mostly = (set: string) => ({ message: new RegExp(`concepts? \\(sensitive set \`${set}\`\\) and only \\d+ other`) });
const term = (set: string) => ({ message: new RegExp(`tests uncoded text for '[^']*', which names .* \\(sensitive set \`${set}\``) });
const noEffect = { severity: 'warning' as const, message: /has no effect/ };

testRule('sensitive-codes', {
  valid: [
    { name: 'a broad set (Disease): information only', text: ltc('code in << 64572001 |Disease|') },
    { name: 'a diabetes set', text: ltc('code in << 73211009 |Diabetes mellitus|') },
    { name: 'a diabetes set with its children listed and a range of diabetes ids', text: ltc('code in (73211009, 44054006, 46635009) or code = 313436004') },
    { name: 'Disease minus diabetes: still broad', text: ltc('code in (<< 64572001 MINUS << 73211009)') },
    { name: 'diabetes patients in the population, through exists', text: population('exists(observations where code in << 73211009)') },
    { name: 'a medicines dataset of metformin and ramipril', text: dataset('medication_issue', 'dmd_code in (999900151000000109, 999900161000000107)') },
    { name: 'a referral dataset for a cancer reason', text: dataset('referral', 'code in << 363346000 |Malignant neoplastic disease|') },
    { name: 'a field flagging diabetes', text: field('code in << 73211009') },
    { name: 'a people field: has diabetes other than type 2', text: personField('exists(observations where code in << 73211009 and code not in << 44054006)') },
    { name: 'every code except diabetes (a complement names nothing sensitive)', text: ltc('code not in << 73211009') },
    {
      name: "an organisation's set: what its MINUS removes is not named by it",
      text: ltc('code in (<< 266919005 |Never smoked| OR << 73211009 |Diabetes mellitus|)'),
      policyFile: smokingPolicy,
    },
    {
      name: "a concept an organisation's set takes out with MINUS does not name the set",
      text: ltc('code in << 64572001 |Disease|'),
      policyFile: findingsPolicy,
    },
    // a code column under a function (bypasses 07, 08)
    { name: 'pseudonym of the code equal to the pseudonym of a diabetes id', text: ltc("pseudonym(code, 'k') = pseudonym(73211009, 'k')") },
    { name: 'pseudonym of the code compared with another column: broad, information only', text: ltc("pseudonym(code, 'k') = pseudonym(value_unit, 'j')") },
    // metadata padding (bypass 15): a complement that leaves a broad clinical set
    { name: 'everything except procedures and observables: broad', text: ltc('code not in (<< 71388002 OR << 363787002)') },
    // sensitive categories in uncoded text (bypass 14)
    { name: 'a referral to cardiology by its target service', text: dataset('referral', "lower(target_service) = 'cardiology'") },
    { name: 'referrals other than to sexual health services (excluding is honest)', text: dataset('referral', "target_service not in ('sexual health', 'GUM clinic')") },
    { name: 'exdef: diabetes patients in the population', text: exdefPopulation('exists(observations where code in << 73211009)'), syntax: 'exdef' },
    { name: 'the exdef syntax, shipped filter', text: exdef('code in << 73211009 |Diabetes mellitus|'), syntax: 'exdef' },
    {
      name: 'a valid exemption covers a mostly-sensitive set too',
      text: variant(
        ltc('code in << 40733004 |Infectious disease|'),
        'datasets:\n',
        `exemptions:\n${exemptionYaml({ datasets: '[long_term_conditions]', justification: 'Communicable disease surveillance by the health protection team.' })}datasets:\n`,
      ),
    },
    {
      name: 'a valid exemption for the set asked for',
      text: variant(
        ltc(`code in (<< 73211009 OR ^ ${HIV_REFSET})`),
        'datasets:\n',
        `exemptions:\n${exemptionYaml({ datasets: '[long_term_conditions]', justification: 'Communicable disease surveillance by the health protection team.' })}datasets:\n`,
      ),
    },
  ],
  invalid: [
    // ECL at any depth
    { name: 'an OR inside MINUS', text: ltc(`code in ((<< 73211009 OR ⟦^ ${HIV_REFSET}) MINUS << 44054006)`), findings: [asks('hiv_sti')] },
    { name: 'an OR inside AND', text: ltc(`code in ((<< 73211009 OR ⟦<< 86406008) AND << 64572001)`), findings: [asks('hiv_sti')] },
    { name: 'a refset in the operand of <<', text: ltc(`code in ⟦<< (^ ${HIV_REFSET})`), findings: [asks('hiv_sti')] },
    { name: 'an OR in the operand of ^', text: ltc(`code in ^ (⟦${HIV_REFSET} OR 999900021000000103)`), findings: [asks('hiv_sti')] },
    { name: 'an OR in the operand of <', text: ltc('code in < (73211009 OR ⟦118199002)'), findings: [asks('sexuality')] },
    { name: 'a broad set AND a sensitive refset', text: ltc(`code in (<< 64572001 AND ⟦^ ${HIV_REFSET})`), findings: [asks('hiv_sti')] },
    { name: 'a sensitive concept under a broad one is still named', text: ltc('code in (<< 64572001 OR ⟦<< 86406008)'), findings: [asks('hiv_sti')] },
    { name: 'MINUS of a MINUS brings the set back', text: ltc('code in (<< 40733004 MINUS (<< 64572001 MINUS ⟦<< 86406008))'), findings: [asks('hiv_sti')] },
    // boolean structure
    { name: 'double negation with not', text: ltc(`not (code not in ⟦^ ${HIV_REFSET})`), findings: [asks('hiv_sti')] },
    { name: 'not not', text: ltc(`not not code in ⟦^ ${HIV_REFSET}`), findings: [asks('hiv_sti')] },
    { name: '<> inside not', text: ltc('not (code <> ⟦86406008)'), findings: [asks('hiv_sti')] },
    { name: 'not in with not, beside an honest test', text: ltc('code in << 73211009 or not (code not in ⟦<< 118199002)'), findings: [asks('sexuality')] },
    { name: 'a test compared with false', text: ltc('(code <> ⟦714812005) = false'), findings: [asks('termination_of_pregnancy')] },
    { name: 'coalesce of a negated test, negated', text: ltc(`not coalesce(code not in ⟦^ ${HIV_REFSET}, true)`), findings: [asks('hiv_sti')] },
    { name: 'the complement of everything except HIV', text: ltc(`code not in (<< 138875005 MINUS ⟦^ ${HIV_REFSET})`), findings: [asks('hiv_sti')] },
    { name: 'an OR with an unrelated condition does not hide it', text: ltc(`code in ⟦^ ${HIV_REFSET} or effective_date >= today() - interval '1 year'`), findings: [asks('hiv_sti')] },
    // literal comparisons and ranges
    { name: 'a range around one HIV id', text: ltc('⟦code between 86405105 and 86406106'), findings: [asks('hiv_sti')] },
    { name: 'a range, negated twice', text: ltc('not (⟦code not between 714811100 and 714812108)'), findings: [asks('termination_of_pregnancy')] },
    { name: 'an in-list with the sensitive id among honest ones', text: ltc('code in (73211009, 44054006, ⟦165816005)'), findings: [asks('hiv_sti')] },
    { name: 'a not-in list under not', text: ltc('not (code not in (73211009, ⟦52637005))'), findings: [asks('assisted_fertilisation')] },
    { name: 'the id on the left of =', text: ltc('⟦86406008 = code'), findings: [asks('hiv_sti')] },
    { name: 'coalesce around the code column', text: ltc('coalesce(code, 73211009) = ⟦86406008'), findings: [asks('hiv_sti')] },
    // medication and referral codes
    { name: 'dmd_code of medication_issue by id', text: dataset('medication_issue', 'dmd_code = ⟦999900221000000108'), findings: [asks('hiv_sti')] },
    { name: 'dmd_code of medication_issue by refset', text: dataset('medication_issue', `dmd_code in ⟦^ ${HIV_REFSET}`), findings: [asks('hiv_sti')] },
    { name: 'dmd_code by a range', text: dataset('medication_issue', '⟦dmd_code between 999900211000000102 and 999900221000000108'), findings: [asks('hiv_sti')] },
    { name: 'a referral code, hidden in an OR under MINUS', text: dataset('referral', '(code in ((<< 363346000 OR ⟦<< 714812005) MINUS 254837009))'), findings: [asks('termination_of_pregnancy')] },
    // exists, population, fields
    { name: 'inside exists in the population filter, nested', text: population(`exists(observations where not (code not in ⟦^ ${HIV_REFSET}))`), findings: [asks('hiv_sti')] },
    { name: 'not exists of everything but HIV', text: population(`not exists(observations where code not in ⟦^ ${HIV_REFSET})`), findings: [asks('hiv_sti')] },
    { name: 'exists over medication issues in the population filter', text: population('exists(medication_issues where dmd_code = ⟦999900221000000108)'), findings: [asks('hiv_sti')] },
    { name: 'a field that flags HIV by <>', text: field('code <> ⟦86406008'), findings: [asks('hiv_sti')] },
    { name: 'a field with exists inside coalesce', text: field('coalesce(exists(patient.observations where code in ⟦<< 118199002), false)'), findings: [asks('sexuality')] },
    { name: 'other observations of the same consultation', text: ltc(`exists(consultation.observations where code in ⟦^ ${HIV_REFSET})`), findings: [asks('hiv_sti')] },
    { name: 'exists within exists in the population filter', text: population('exists(consultations where exists(observations where code in ⟦<< 86406008))'), findings: [asks('hiv_sti')] },
    { name: 'a test under is not null (read both ways)', text: ltc(`(code not in ⟦^ ${HIV_REFSET}) is not null`), findings: [asks('hiv_sti')] },
    { name: 'a field of the people dataset that is an exists', text: personField('exists(observations where code in ⟦<< 165816005)'), findings: [asks('hiv_sti')] },
    { name: 'a field of the people dataset that is a not exists of the rest', text: personField(`not exists(observations where code not in ⟦^ ${HIV_REFSET})`), findings: [asks('hiv_sti')] },
    // slivers
    { name: 'a broad set that is mostly sensitive', text: ltc('code in ⟦<< 40733004 |Infectious disease|'), findings: [mostly('hiv_sti')] },
    { name: 'MINUS leaves a sliver', text: ltc('code in (⟦<< 64572001 MINUS (<< 126877002 OR << 13645005 OR << 195967001 OR << 363346000 OR << 414916001 OR << 49601007 OR ⟦93461009))'), findings: [mostly('hiv_sti'), noEffect] },
    { name: 'the sliver through and/not', text: ltc('code in ⟦<< 64572001 and not code in (<< 126877002 OR << 13645005 OR << 195967001 OR << 363346000 OR << 414916001 OR << 49601007 OR ⟦<< 93461009)'), findings: [mostly('hiv_sti'), noEffect] },
    { name: 'everything outside the hierarchy except Infectious disease', text: ltc('code not in (<< 138875005 MINUS ⟦<< 40733004)'), findings: [mostly('hiv_sti')] },
    { name: 'a sliver padded with an honest set in an OR', text: ltc('code in (⟦<< 40733004 OR << 73211009 |Diabetes mellitus|)'), findings: [mostly('hiv_sti')] },
    { name: 'a sliver as the AND of two broad sets', text: ltc('code in (⟦<< 64572001 AND << 40733004)'), findings: [mostly('hiv_sti')] },
    { name: 'the gap between two ranges', text: ltc('not (⟦code between 100005 and 86405105 or ⟦code between 86406106 and 999900281000000109)'), findings: [asks('hiv_sti'), asks('hiv_sti')] },
    { name: 'a range written backwards', text: ltc('⟦code between 86406106 and 86405105'), findings: [asks('hiv_sti')] },
    // an organisation's policy
    { name: "an organisation's set, by a concept inside it", text: ltc('code in ⟦<< 77176002 |Smoker|'), policyFile: smokingPolicy, findings: [asks('smoking')] },
    { name: "an organisation's set, by the root it is written with", text: ltc('code in (⟦<< 365980008 MINUS << 77176002)'), policyFile: smokingPolicy, findings: [asks('smoking')] },
    {
      name: 'a stricter code_set_min_remaining makes Disease a sliver',
      text: ltc('code in ⟦⟦<< 64572001'),
      policyFile: strictPolicy,
      findings: [mostly('gender_reassignment'), mostly('hiv_sti')],
    },
    {
      name: 'a sliver chosen by elimination across two exists',
      text: population('exists(observations where code in ⟦<< 64572001) and not exists(observations where code in (<< 126877002 OR << 13645005 OR << 195967001 OR << 363346000 OR << 414916001 OR << 49601007 OR ⟦<< 93461009))'),
      findings: [mostly('hiv_sti'), noEffect],
    },
    // a code column under a function (bypasses 07, 08)
    { name: 'bypass 07: pseudonym of the code equal to the pseudonym of the HIV id', text: ltc("pseudonym(code, 'k') = pseudonym(⟦86406008, 'k')"), findings: [asks('hiv_sti')] },
    { name: 'bypass 08: the same on dmd_code', text: dataset('medication_issue', "pseudonym(dmd_code, 'k') = pseudonym(⟦999900221000000108, 'k')"), findings: [asks('hiv_sti')] },
    { name: 'pseudonyms under different keys (lint cannot see through): the id written is asked for', text: ltc("pseudonym(code, 'k') = pseudonym(⟦86406008, 'j')"), findings: [asks('hiv_sti')] },
    { name: 'the id as text inside the pseudonym', text: ltc("pseudonym(code, 'k') = pseudonym(⟦'86406008', 'k')"), findings: [asks('hiv_sti')] },
    { name: 'the id as arithmetic inside the pseudonym', text: ltc("pseudonym(code, 'k') = pseudonym(⟦86406000 + 8, 'k')"), findings: [asks('hiv_sti')] },
    { name: 'pseudonym of a coalesce of the code', text: ltc("pseudonym(coalesce(code, 0), 'k') = pseudonym(⟦86406008, 'k')"), findings: [asks('hiv_sti')] },
    { name: 'pseudonyms in an in-list', text: ltc("pseudonym(code, 'k') in (pseudonym(73211009, 'k'), pseudonym(⟦165816005, 'k'))"), findings: [asks('hiv_sti')] },
    { name: 'pseudonyms compared with <>, under not', text: ltc("not (pseudonym(code, 'k') <> pseudonym(⟦714812005, 'k'))"), findings: [asks('termination_of_pregnancy')] },
    { name: 'lower of the pseudonyms (not injective: still asks for the id written)', text: ltc("lower(pseudonym(code, 'k')) = lower(pseudonym(⟦86406008, 'k'))"), findings: [asks('hiv_sti')] },
    { name: 'a pseudonym between two pseudonyms of the same id', text: ltc("pseudonym(code, 'k') between pseudonym(⟦86406008, 'k') and pseudonym(⟦86406008, 'k')"), findings: [asks('hiv_sti'), asks('hiv_sti')] },
    { name: 'a pseudonym ordered against a pseudonym of an id', text: ltc("pseudonym(code, 'k') >= pseudonym(⟦52637005, 'k')"), findings: [asks('assisted_fertilisation')] },
    { name: 'pseudonym equality over other observations of the consultation', text: ltc("exists(consultation.observations where pseudonym(code, 'k') = pseudonym(⟦86406008, 'k'))"), findings: [asks('hiv_sti')] },
    { name: 'pseudonym inequality with an HIV id keeps nothing out (a complement)', text: ltc("code in << 73211009 and pseudonym(code, 'k') <> pseudonym(⟦86406008, 'k')"), findings: [noEffect] },
    { name: 'pseudonym equality inside exists in the population', text: population("exists(observations where pseudonym(code, 'k') = pseudonym(⟦118199002, 'k'))"), findings: [asks('sexuality')] },
    { name: 'an unreadable test narrowed to a sliver', text: ltc("pseudonym(code, 'k') = pseudonym(value_unit, 'j') and code in ⟦<< 40733004"), findings: [mostly('hiv_sti')] },
    // slivers padded with concepts no record carries (bypass 15)
    {
      name: 'bypass 15: the complement of every hierarchy but findings, padded with metadata',
      text: ltc('code not in (⟦⟦⟦<< 71388002 OR << 64572001 OR << 363787002 OR << 373873005 OR << 372148003 OR << 365980008 OR 404684003)'),
      findings: [mostly('gender_reassignment'), mostly('sexuality'), mostly('hiv_sti')],
    },
    {
      name: 'the complement leaves HIV positive, transsexual and sexual-relationship findings, the rest is metadata',
      text: ltc('code not in (⟦⟦⟦<< 71388002 OR << 64572001 OR << 363787002 OR << 373873005 OR << 372148003 OR << 365980008 OR 404684003 OR ⟦<< 118199002)'),
      findings: [mostly('gender_reassignment'), mostly('sexuality'), mostly('hiv_sti'), noEffect],
    },
    // sensitive categories in uncoded text (bypass 14)
    {
      name: 'bypass 14: referrals by target service text',
      text: dataset('referral', "lower(target_service) in (⟦'sexual health', ⟦'genitourinary medicine', ⟦'gender identity clinic', 'cardiology', ⟦'hiv clinic')"),
      findings: [term('hiv_sti'), term('hiv_sti'), term('gender_reassignment'), term('hiv_sti')],
    },
    { name: 'a sensitive term with other case and punctuation', text: dataset('referral', "target_service = ⟦'Sexual-Health  Clinic'"), findings: [term('hiv_sti')] },
    { name: 'a sensitive term without its spaces', text: dataset('referral', "upper(target_service) = ⟦'SEXUALHEALTH'"), findings: [term('hiv_sti')] },
    { name: 'a sensitive term under double negation', text: dataset('referral', "not (target_service <> ⟦'IVF')"), findings: [term('assisted_fertilisation')] },
    { name: "an organisation's own term, added to the default ones", text: dataset('referral', "target_service in ('Cardiology', ⟦'blue door clinic', ⟦'GUM')"), policyFile: termsPolicy, findings: [term('hiv_sti'), term('hiv_sti')] },
    { name: 'a sensitive term in the population, through exists', text: population("exists(referrals where target_service = ⟦'Pregnancy Advisory Service')"), findings: [term('termination_of_pregnancy')] },
    // the exdef language
    { name: 'exdef: an OR inside MINUS', text: exdef(`code in ((<< 73211009 OR ⟦^ ${HIV_REFSET}) MINUS << 44054006)`), syntax: 'exdef', findings: [asks('hiv_sti')] },
    { name: 'exdef: double negation', text: exdef('not (code not in ⟦<< 118199002)'), syntax: 'exdef', findings: [asks('sexuality')] },
    { name: 'exdef: a range', text: exdef('⟦code between 86405105 and 86406106'), syntax: 'exdef', findings: [asks('hiv_sti')] },
    { name: 'exdef: a sliver', text: exdef('code in ⟦<< 40733004'), syntax: 'exdef', findings: [mostly('hiv_sti')] },
    { name: 'exdef: not exists of everything but HIV in the population', text: exdefPopulation(`not exists(observations where code not in ⟦^ ${HIV_REFSET})`), syntax: 'exdef', findings: [asks('hiv_sti')] },
    { name: 'exdef: a sliver chosen by elimination in the population', text: exdefPopulation('exists(observations where code in ⟦<< 64572001) and not exists(observations where code in (<< 126877002 OR << 13645005 OR << 195967001 OR << 363346000 OR << 414916001 OR << 49601007 OR ⟦<< 93461009))'), syntax: 'exdef', findings: [mostly('hiv_sti'), noEffect] },
    {
      name: 'exdef: a field that flags the HIV concept',
      text: variant(exdef('code in << 73211009'), "  code AS condition_code\n    JUSTIFY 'Identifies the long-term condition.',\n", "  code AS condition_code\n    JUSTIFY 'Identifies the long-term condition.',\n  code <> ⟦86406008 AS flag\n    JUSTIFY 'Marks the rows the clinical team follows up.',\n"),
      syntax: 'exdef',
      findings: [asks('hiv_sti')],
    },
    // warnings where a test only keeps sensitive codes out
    { name: 'not in a sensitive refset has no effect', text: ltc(`code in << 73211009 and code not in ⟦^ ${HIV_REFSET}`), findings: [noEffect] },
  ],
});
