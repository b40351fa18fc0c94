/**
 * Adversarial: exemptions written to get past the policy. Each bypass attempt asserts where it is
 * caught and by which rule: the exemption is invalid (exemption-valid, at the offending value) and,
 * where a rule was meant to be waived, that rule's finding stays an error at its own place.
 * The clean cases are honest exemptions that must keep working.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resources } from '../../src/resources.js';
import { exemptionYaml, VALID_BASIS, withExemptions } from '../support/exemption-yaml.js';
import { base, testRule, variant, INDIRECT_BASE } from '../support/rule-tester.js';

const phm = base.indirect();
/** phm-warehouse whose blood_pressure filter asks for HIV/STI codes (the refset) at the marker. */
const hivInBloodPressure = (marker = '') =>
  variant(phm, "    where: code in << 75367002 |Blood pressure| and effective_date >= today() - interval '2 years'", `    where: code in ${marker}^ 999004381000000103`);
/** phm-warehouse whose long_term_conditions filter asks for HIV/STI codes. */
const hivInConditions = (marker = '') => variant(phm, /    where: >-\n      code in \(<< 73211009[^\n]*\n[^\n]*\n/, `    where: code in ${marker}^ 999004381000000103\n`);
/** An exemption from `rule` (no code set) that is otherwise complete. */
const from = (rule: string, parts: Parameters<typeof exemptionYaml>[0] = {}) => exemptionYaml({ rule, code_set: undefined, datasets: '[people]', ...parts });
const ALL_DATASETS = '[people, long_term_conditions, blood_pressure]';
const NOTICE_BASIS = { article_6: '6(1)(c) legal obligation', article_9: '9(2)(h) management of health care systems', notice: 'DPN 2024-017 (NHS England data provision notice)' };
/** phm-warehouse overriding Type 1 opt-outs, justified, without a notice on the definition. */
const overridden = (marker = '') =>
  variant(phm, 'type1_opt_out: respect', `type1_opt_out: ${marker}override\n  type1_opt_out_justification: The Direction requires every registered patient to be counted.`);

/** The warehouse feed in the exdef language, its blood_pressure dataset asking for the HIV/STI refset. */
const hivExdef = variant(readFileSync(INDIRECT_BASE.exdef, 'utf8'), /WHERE code in << 75367002[^;]*;/, 'WHERE code in ^ 999004381000000103;');

// ------------------------------------------------------------------ the exemption itself is refused

testRule('exemption-valid', {
  valid: [
    { name: 'clean: a scoped HIV/STI exemption under s251 support', text: withExemptions(hivInBloodPressure(), exemptionYaml()) },
    { name: 'clean: an HIV/STI exemption under a notice, narrowed to a field', text: withExemptions(hivInBloodPressure(), exemptionYaml({ fields: '[blood_pressure.reading_code]', legal_basis: { ...NOTICE_BASIS } })) },
    { name: 'clean: a Type 1 override under a statutory notice, naming every dataset', text: withExemptions(overridden(), exemptionYaml({ rule: 'type1-opt-out', code_set: undefined, datasets: ALL_DATASETS, legal_basis: { ...NOTICE_BASIS } })) },
    { name: 'clean: conditions written as bare numbers', text: withExemptions(hivInBloodPressure(), exemptionYaml({ legal_basis: { ...VALID_BASIS, article_6: "'6(1)(e)'", article_9: "'9(2)(h)'" } })) },
    { name: 'clean: one set released in two datasets', text: withExemptions(hivInConditions(), exemptionYaml({ datasets: '[long_term_conditions, blood_pressure]' })) },
  ],
  invalid: [
    // Rules the policy never lets an exemption touch.
    { name: 'waiving governance-complete', text: withExemptions(phm, from('⟦governance-complete')), findings: [{ message: /^the policy does not let an exemption waive `governance-complete`: governance paperwork/ }] },
    { name: 'waiving review-current', text: withExemptions(phm, from('⟦review-current')), findings: [{ message: /waive `review-current`/ }] },
    { name: 'waiving schedule-at-most-daily', text: withExemptions(phm, from('⟦schedule-at-most-daily')), findings: [{ message: /waive `schedule-at-most-daily`: the schedule is part of the contract/ }] },
    { name: 'waiving supported-use-case', text: withExemptions(phm, from('⟦supported-use-case')), findings: [{ message: /waive `supported-use-case`/ }] },
    { name: 'waiving justification-meaningful', text: withExemptions(phm, from('⟦justification-meaningful')), findings: [{ message: /waive `justification-meaningful`/ }] },
    { name: 'waiving justification-not-repeated', text: withExemptions(phm, from('⟦justification-not-repeated')), findings: [{ message: /waive `justification-not-repeated`/ }] },
    { name: 'waiving direct-identifiers-need-basis', text: withExemptions(phm, from('⟦direct-identifiers-need-basis')), findings: [{ message: /waive `direct-identifiers-need-basis`/ }] },
    { name: 'waiving generalise-quasi-identifiers', text: withExemptions(phm, from('⟦generalise-quasi-identifiers')), findings: [{ message: /waive `generalise-quasi-identifiers`/ }] },
    { name: 'waiving disclosure-risk', text: withExemptions(phm, from('⟦disclosure-risk')), findings: [{ message: /waive `disclosure-risk`/ }] },
    { name: 'waiving exemption-valid itself', text: withExemptions(phm, from('⟦exemption-valid')), findings: [{ message: /waive `exemption-valid`: the rule that judges exemptions/ }] },
    { name: 'waiving registration-permanent (not listed by the policy)', text: withExemptions(phm, from('⟦registration-permanent')), findings: [{ message: /waive `registration-permanent`: the policy does not list it under exemptable/ }] },
    { name: 'waiving a hard rule', text: withExemptions(phm, from('⟦pds-sensitive-never')), findings: [{ message: /^`pds-sensitive-never` is a hard rule/ }] },
    // Legal basis that is not one.
    { name: 'approval "n/a"', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS, approval: '⟦n/a' } })), findings: [{ message: /^`n\/a` is not the reference of a notice or approval/ }] },
    { name: 'approval "-"', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS, approval: "⟦'-'" } })), findings: [{ message: /^`-` is not the reference/ }] },
    { name: 'approval "TBC"', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS, approval: '⟦TBC' } })), findings: [{ message: /`TBC` is not the reference/ }] },
    { name: 'notice "none"', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...NOTICE_BASIS, notice: '⟦none' } })), findings: [{ message: /`none` is not the reference/ }] },
    { name: 'approval "s251" with no reference', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS, approval: '⟦s251 approved' } })), findings: [{ message: /is not the reference/ }] },
    { name: 'approval "see DPIA 2024"', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS, approval: '⟦see DPIA 2024' } })), findings: [{ message: /is not the reference/ }] },
    { name: 'approval "ref 0000"', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS, approval: '⟦ref 0000' } })), findings: [{ message: /is not the reference/ }] },
    { name: 'approval of zero-width spaces', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS, approval: '⟦"\\u200b\\u200b\\u200b"' } })), findings: [{ message: /^the approval reference holds characters a reader cannot see/ }] },
    { name: 'a real-looking approval with a zero-width space inside', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS, approval: '⟦"CAG 21/CAG/0123\\u200b"' } })), findings: [{ message: /cannot see/ }] },
    { name: 'Article 6 "6(1)(z)"', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS, article_6: '⟦6(1)(z)' } })), findings: [{ message: /^`6\(1\)\(z\)` is not a UK GDPR Article 6\(1\) condition$/ }] },
    { name: 'Article 6 "n/a"', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS, article_6: '⟦n/a' } })), findings: [{ message: /Article 6\(1\) condition/ }] },
    { name: 'Article 6 written "Art. 6(1)(e)"', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS, article_6: '⟦Art. 6(1)(e)' } })), findings: [{ message: /Article 6\(1\) condition/ }] },
    { name: 'Article 6 glued to words "6(1)(e)x"', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS, article_6: "⟦'6(1)(e)x'" } })), findings: [{ message: /Article 6\(1\) condition/ }] },
    { name: 'an Article 6 condition given as Article 9', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS, article_9: '⟦6(1)(e) public task' } })), findings: [{ message: /is not a UK GDPR Article 9\(2\) condition/ }] },
    { name: 'Article 9 "9(2)(k)"', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS, article_9: '⟦9(2)(k)' } })), findings: [{ message: /Article 9\(2\) condition/ }] },
    { name: 'Article 6 behind a zero-width space', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS, article_6: '⟦"\\u200b6(1)(e) public task"' } })), findings: [{ message: /^the Article 6 condition holds characters a reader cannot see/ }] },
    { name: 'no Article 9 condition', text: withExemptions(phm, exemptionYaml({ legal_basis: { article_6: '6(1)(e) public task', approval: 'CAG 21/CAG/0123' } }).replace('legal_basis:', '⟦legal_basis:')), findings: [{ message: /gives no UK GDPR Article 9 condition/ }] },
    { name: 'no notice or approval', text: withExemptions(phm, exemptionYaml({ legal_basis: { article_6: '6(1)(e) public task', article_9: '9(2)(i) public health' } }).replace('legal_basis:', '⟦legal_basis:')), findings: [{ message: /cites no notice or approval/ }] },
    { name: 'no legal basis at all', text: withExemptions(phm, exemptionYaml({ rule: '⟦sensitive-codes', legal_basis: undefined })), findings: [{ message: /gives no legal basis/ }] },
    // Expiry.
    { name: 'expired (on lint\'s today)', text: withExemptions(phm, exemptionYaml({ expires: '⟦2026-11-20' })), findings: [{ message: /expired on 2026-11-20/ }] },
    { name: 'expired long ago', text: withExemptions(phm, exemptionYaml({ expires: '⟦2001-01-01' })), findings: [{ message: /expired on 2001-01-01/ }] },
    { name: 'no expiry', text: withExemptions(phm, exemptionYaml({ rule: '⟦sensitive-codes', expires: undefined })), findings: [{ message: /has no expiry date/ }] },
    { name: 'an expiry on a day that does not exist', text: withExemptions(phm, exemptionYaml({ expires: '⟦2027-02-30' })), findings: [{ message: /^2027-02-30 is not a date that exists$/ }] },
    { name: 'an expiry that is no expiry (9999-12-31)', text: withExemptions(phm, exemptionYaml({ expires: '⟦9999-12-31' })), findings: [{ message: /expires on 9999-12-31, more than 36 months ahead: set an expiry by 2029-11-21/ }] },
    // Scope.
    { name: 'no datasets: everywhere', text: withExemptions(phm, exemptionYaml({ rule: '⟦sensitive-codes', datasets: undefined })), findings: [{ message: /names no datasets/ }] },
    { name: 'a dataset that does not exist', text: withExemptions(phm, exemptionYaml({ datasets: '[blood_pressure, ⟦everything]' })), findings: [{ message: /^`everything` is not a dataset of this definition$/ }] },
    { name: 'a field that does not exist', text: withExemptions(phm, exemptionYaml({ fields: '[⟦blood_pressure.hiv_status]' })), findings: [{ message: /`blood_pressure.hiv_status` is not a field/ }] },
    { name: 'a field without its dataset', text: withExemptions(phm, exemptionYaml({ fields: '[⟦reading_code]' })), findings: [{ message: /`reading_code` is not a field of this definition \(write dataset.field\)/ }] },
    { name: 'a field of a dataset outside the scope', text: withExemptions(phm, exemptionYaml({ fields: '[⟦long_term_conditions.condition_code]' })), findings: [{ message: /is a field of `long_term_conditions`, which the exemption does not name/ }] },
    // Code sets.
    { name: 'sensitive-codes with no code set: every set', text: withExemptions(phm, exemptionYaml({ rule: '⟦sensitive-codes', code_set: undefined })), findings: [{ message: /must name the code set/ }] },
    { name: 'an unknown code set', text: withExemptions(phm, exemptionYaml({ code_set: '⟦all' })), findings: [{ message: /`all` is not a sensitive code set/ }] },
    { name: 'a code set on a Type 1 exemption', text: withExemptions(overridden(), exemptionYaml({ rule: 'type1-opt-out', code_set: '⟦hiv_sti', datasets: ALL_DATASETS, legal_basis: { ...NOTICE_BASIS } })), alsoTriggers: ['type1-opt-out'], findings: [{ message: /code_set belongs to an exemption from sensitive-codes/ }] },
    // Justification.
    { name: 'a placeholder justification', text: withExemptions(phm, exemptionYaml({ justification: '⟦TBC' })), findings: [{ message: /says nothing about why it is needed/ }] },
    { name: 'a justification of placeholder words', text: withExemptions(phm, exemptionYaml({ justification: '⟦not applicable, see the DPIA, to follow' })), findings: [{ message: /says nothing/ }] },
    // The Type 1 override.
    { name: 'Type 1 override under an approval, not a notice', text: withExemptions(overridden(), exemptionYaml({ rule: 'type1-opt-out', code_set: undefined, datasets: ALL_DATASETS, legal_basis: { ...VALID_BASIS, approval: '⟦CAG 21/CAG/0123' } })), alsoTriggers: ['type1-opt-out'], findings: [{ message: /valid only under a statutory notice/ }] },
    { name: 'Type 1 override scoped to one dataset', text: withExemptions(overridden(), exemptionYaml({ rule: 'type1-opt-out', code_set: undefined, datasets: '⟦[people]', legal_basis: { ...NOTICE_BASIS } }).replace('datasets:', '⟦datasets:').replace('⟦[people]', '[people]')), alsoTriggers: ['type1-opt-out'], findings: [{ message: /must name every dataset \(missing: long_term_conditions, blood_pressure\)/ }] },
    { name: 'Type 1 override limited to fields', text: withExemptions(overridden(), exemptionYaml({ rule: 'type1-opt-out', code_set: undefined, datasets: ALL_DATASETS, fields: '[people.sex]', legal_basis: { ...NOTICE_BASIS } }).replace('fields:', '⟦fields:')), alsoTriggers: ['type1-opt-out'], findings: [{ message: /cannot be limited to fields/ }] },
    // Residual r11/4: a field that reads no code column. The compiler releases a set only on the
    // coded columns the named fields read, so naming a value or a date exempts nothing; lint must
    // not call the dataset's filter exempted while the run keeps the guard.
    {
      name: 'r11: fields names a numeric value, which reads no code column',
      text: withExemptions(hivInBloodPressure(), exemptionYaml({ fields: '[⟦blood_pressure.value]' })),
      alsoTriggers: ['sensitive-codes'],
      findings: [{ message: /^`blood_pressure.value` reads no code of `blood_pressure`/ }],
    },
    {
      name: 'r11: fields names a month of a date, which reads no code column',
      text: withExemptions(hivInBloodPressure(), exemptionYaml({ fields: '[⟦blood_pressure.reading_month]' })),
      alsoTriggers: ['sensitive-codes'],
      findings: [{ message: /^`blood_pressure.reading_month` reads no code of `blood_pressure`/ }],
    },
    {
      name: 'r11: fields names the pseudonym, which reads the patient table through a relation, not a code',
      text: withExemptions(hivInBloodPressure(), exemptionYaml({ fields: '[⟦blood_pressure.person_key]' })),
      alsoTriggers: ['sensitive-codes'],
      findings: [{ message: /reads no code of `blood_pressure`/ }],
    },
    {
      name: 'r11: one coded and one non-coded field: the non-coded one is refused',
      text: withExemptions(hivInBloodPressure(), exemptionYaml({ fields: '[blood_pressure.reading_code, ⟦blood_pressure.value]' })),
      alsoTriggers: ['sensitive-codes'],
      findings: [{ message: /`blood_pressure.value` reads no code/ }],
    },
    {
      name: 'r11: in the exdef language, FOR FIELDS naming a non-coded field',
      syntax: 'exdef',
      text: `${hivExdef}\nEXEMPTION FROM sensitive-codes\n  FOR SET hiv_sti\n  IN blood_pressure\n  FOR FIELDS ⟦blood_pressure.value\n  LEGAL BASIS\n    ARTICLE 6 '6(1)(e) public task'\n    ARTICLE 9 '9(2)(i) public health'\n    APPROVAL 'CAG 21/CAG/0123 (s251 support)'\n  JUSTIFICATION 'The sexual health service needs HIV status to plan its clinics.'\n  EXPIRES 2027-03-31;\n`,
      alsoTriggers: ['sensitive-codes'],
      findings: [{ message: /`blood_pressure.value` reads no code of `blood_pressure`/ }],
    },
    // The exdef language gets the same checks, at the same places.
    {
      name: 'in the exdef language: n/a approval and no expiry',
      syntax: 'exdef',
      text: `${hivExdef}\nEXEMPTION FROM ⟦sensitive-codes\n  FOR SET hiv_sti\n  IN blood_pressure\n  LEGAL BASIS\n    ARTICLE 6 '6(1)(e) public task'\n    ARTICLE 9 '9(2)(i) public health'\n    APPROVAL ⟦'n/a'\n  JUSTIFICATION 'The sexual health service needs HIV status to plan its clinics.';\n`,
      alsoTriggers: ['sensitive-codes'],
      findings: [{ message: /has no expiry date/ }, { message: /is not the reference/ }],
    },
  ],
});

// ------------------------------------------------- the rule meant to be waived stays an error

testRule('sensitive-codes', {
  valid: [
    { name: 'clean: a valid HIV/STI exemption scoped to the dataset that asks for the codes', text: withExemptions(hivInBloodPressure(), exemptionYaml()) },
    { name: 'clean: scoped to fields, the dataset filter of that dataset is covered', text: withExemptions(hivInBloodPressure(), exemptionYaml({ fields: '[blood_pressure.reading_code]' })) },
  ],
  invalid: [
    {
      name: 'an exemption scoped to long_term_conditions does not release the set in blood_pressure',
      text: withExemptions(hivInBloodPressure('⟦'), exemptionYaml({ datasets: '[long_term_conditions]' })),
      findings: [{ message: /sensitive set `hiv_sti`/ }],
    },
    {
      name: 'an exemption naming every dataset does not release the set in the population filter',
      text: withExemptions(variant(phm, '  practices: [A81001, A81002, A81003]\n', '  practices: [A81001, A81002, A81003]\n  where: exists(observation where code in ⟦^ 999004381000000103)\n'), exemptionYaml({ datasets: ALL_DATASETS })),
      findings: [{ message: /sensitive set `hiv_sti`/ }],
    },
    {
      name: 'an exemption narrowed to one field does not release the set in another field',
      text: withExemptions(
        variant(phm, "      - name: reading_month\n", "      - name: hiv_flag\n        value: code in ⟦^ 999004381000000103\n        justification: Marks readings taken in the sexual health clinic.\n      - name: reading_month\n"),
        exemptionYaml({ fields: '[blood_pressure.reading_code]' }),
      ),
      findings: [{ message: /sensitive set `hiv_sti`/ }],
    },
    {
      name: 'r11: an exemption narrowed to a non-coded field releases nothing: the filter stays an error, as the compiler keeps the guard',
      text: withExemptions(hivInBloodPressure('⟦'), exemptionYaml({ fields: '[blood_pressure.value]' })),
      alsoTriggers: ['exemption-valid'],
      findings: [{ message: /sensitive set `hiv_sti`/ }],
    },
    {
      name: 'an expired exemption releases nothing',
      text: withExemptions(hivInBloodPressure('⟦'), exemptionYaml({ expires: '2026-01-31' })),
      alsoTriggers: ['exemption-valid'],
      findings: [{ message: /sensitive set `hiv_sti`/ }],
    },
    {
      name: 'an exemption with an n/a approval releases nothing',
      text: withExemptions(hivInBloodPressure('⟦'), exemptionYaml({ legal_basis: { ...VALID_BASIS, approval: 'n/a' } })),
      alsoTriggers: ['exemption-valid'],
      findings: [{ message: /sensitive set `hiv_sti`/ }],
    },
    {
      name: 'an exemption for one set does not release another inside the same OR',
      text: withExemptions(variant(phm, "    where: code in << 75367002 |Blood pressure| and effective_date >= today() - interval '2 years'", '    where: code in (^ 999004381000000103 OR ⟦^ 999004361000000107)'), exemptionYaml()),
      findings: [{ message: /termination_of_pregnancy/ }],
    },
  ],
});

testRule('governance-complete', {
  valid: [],
  invalid: [
    {
      name: 'no DPIA, with an exemption from governance-complete',
      text: withExemptions(variant(variant(phm, 'dpia: DPIA-2026-031\n', ''), 'use_case: data_warehouse', '⟦use_case: data_warehouse'), from('governance-complete')),
      alsoTriggers: ['exemption-valid'],
      findings: [{ message: /missing the DPIA reference/ }],
    },
  ],
});

testRule('schedule-at-most-daily', {
  valid: [],
  invalid: [
    {
      name: 'hourly, with an exemption from schedule-at-most-daily',
      text: withExemptions(variant(phm, 'frequency: weekly', 'frequency: ⟦hourly'), from('schedule-at-most-daily')),
      alsoTriggers: ['exemption-valid'],
      findings: [{ message: /runs more than once a day/ }],
    },
  ],
});

testRule('supported-use-case', {
  valid: [],
  invalid: [
    {
      name: 'a warehouse declared as direct care, with an exemption from supported-use-case',
      // Its intended use and legal basis statement speak of population health, not of the care of individuals.
      text: withExemptions(variant(variant(variant(phm, 'care_type: indirect', 'care_type: ⟦direct'), 'intended_use: >-', 'intended_use: ⟦>-'), '  statement: >-', '  statement: ⟦>-'), from('supported-use-case')),
      alsoTriggers: ['exemption-valid'],
      findings: [{ message: /data warehouse feed serves a population/ }, { message: /^intended_use speaks of "population health"/ }, { message: /^legal_basis.statement speaks of "population health"/ }],
    },
  ],
});

testRule('justification-meaningful', {
  valid: [],
  invalid: [
    {
      name: 'a stock justification, with an exemption from justification-meaningful',
      text: withExemptions(variant(phm, 'justification: Tells systolic from diastolic readings.', 'justification: ⟦Needed for analysis.'), from('justification-meaningful', { datasets: '[blood_pressure]' })),
      alsoTriggers: ['exemption-valid'],
      findings: [{ message: /stock phrase/ }],
    },
  ],
});

testRule('direct-identifiers-need-basis', {
  valid: [],
  invalid: [
    {
      name: 'an NHS number in indirect care, with a field-scoped exemption from direct-identifiers-need-basis',
      text: withExemptions(variant(phm, "value: pseudonym(nhs_number, 'phm-icb-key')", 'value: ⟦nhs_number'), from('direct-identifiers-need-basis', { fields: '[people.person_key]' })),
      alsoTriggers: ['exemption-valid', 'no-pseudonym-beside-raw'],
      findings: [{ message: /exposes `nhs_number`, a direct identifier/ }],
    },
  ],
});

testRule('type1-opt-out', {
  valid: [
    { name: 'clean: overridden for indirect care under a statutory notice, by exemption', text: withExemptions(overridden(), exemptionYaml({ rule: 'type1-opt-out', code_set: undefined, datasets: ALL_DATASETS, legal_basis: { ...NOTICE_BASIS } })) },
  ],
  invalid: [
    {
      name: 'overridden for indirect care under an approval only',
      text: withExemptions(overridden('⟦'), exemptionYaml({ rule: 'type1-opt-out', code_set: undefined, datasets: ALL_DATASETS })),
      alsoTriggers: ['exemption-valid'],
      findings: [{ message: /can be overridden only for direct care or under a statutory data provision notice/ }],
    },
    {
      name: 'a notice exemption does not stand in for the override\'s justification',
      text: withExemptions(variant(phm, 'type1_opt_out: respect', 'type1_opt_out: ⟦override'), exemptionYaml({ rule: 'type1-opt-out', code_set: undefined, datasets: ALL_DATASETS, legal_basis: { ...NOTICE_BASIS } })),
      findings: [{ message: /needs a justification/ }],
    },
  ],
});
