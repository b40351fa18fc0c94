/**
 * Adversarial review r1 (/work/wt/bypasses, issue 11 item 6): definitions that linted clean with
 * placeholder governance. Each bypass asserts the rule and the position where it is caught; the
 * clean cases are honest texts that must stay clean.
 *
 * - 01/01b: a data_provision_notice that is no reference ("Notice requested from NHS England",
 *   "DPN TBC 2026", "see DPIA section 4") unlocked identifiers, the Type 1 override and setting the
 *   National Data Opt-out aside. It now counts as no notice (legal-basis.ts statutoryNotice) and
 *   governance-complete reports the notice itself.
 * - 09/10: exemption references that say the document does not exist yet.
 * - 18/19: texts that start with a placeholder or put off saying it, and a reviewer that names nobody.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resources } from '../../src/resources.js';
import { exemptionYaml, VALID_BASIS, withExemptions } from '../support/exemption-yaml.js';
import { base, testRule, variant, INDIRECT_BASE } from '../support/rule-tester.js';

const phm = base.indirect();
const phmExdef = readFileSync(INDIRECT_BASE.exdef, 'utf8');
const ARTICLE_9 = '  article_9: 9(2)(h) management of health care systems\n';
/** phm-warehouse citing `notice` (which may hold a ⟦ marker) as its data provision notice. */
const withNotice = (notice: string, text = phm) => variant(text, ARTICLE_9, `${ARTICLE_9}  data_provision_notice: ${notice}\n`);
const REAL_NOTICE = 'DPN-2026-004 (Direction under section 254)';
/** The NHS number in the clear in people.person_key (at an optional marker). */
const rawNhsNumber = (text: string, marker = '') => variant(text, "value: pseudonym(nhs_number, 'phm-icb-key')", `value: ${marker}nhs_number`);
/** Type 1 opt-outs overridden, with a real justification. */
const type1Override = (text: string, marker = '') =>
  variant(text, 'type1_opt_out: respect', `type1_opt_out: ${marker}override\n  type1_opt_out_justification: Risk stratification must cover every registered patient so that no frail person is missed.`);
/** The National Data Opt-out set aside, with a real justification. */
const ndooNotApplicable = (text: string, marker = '') =>
  variant(text, '  type1_opt_out: respect\n', `  type1_opt_out: respect\n  national_data_opt_out: ${marker}not_applicable\n  national_data_opt_out_justification: Case finding for frailty must reach every registered patient.\n`);

/** Notices that are not references: each must count as none. */
const FAKE_NOTICES = ['Notice requested from NHS England', 'DPN TBC 2026', 'see DPIA section 4', 'DPN 2026-004 pending', 'Awaiting DPN 001', 'Draft DPN 2026-003', 'DPN applied for in 2026', 'NHS England data provision notice'];

// ------------------------------------------------------------------------------------------ 01 / 01b
testRule('governance-complete', {
  valid: [
    { name: 'a real data provision notice', text: withNotice(REAL_NOTICE) },
    { name: 'a notice named with its year and regulation', text: withNotice('COPI notice 2020 regulation 3(4)') },
    { name: 'a notice named by NHS England and its number', text: withNotice('NHS England DPN 2026-11 (GP data for planning)') },
  ],
  invalid: [
    { name: '01: a notice that was only requested', text: withNotice('⟦Notice requested from NHS England'), findings: [{ message: /placeholder for the statutory data provision notice .*"Notice requested from NHS England" \(it says the document does not exist yet \("requested" at character 8\)\)$/ }] },
    { name: '01: a notice TBC, with a year for a number', text: withNotice('⟦DPN TBC 2026'), findings: [{ message: /placeholder for the statutory data provision notice/ }] },
    { name: '01: a notice that points at the DPIA', text: withNotice('⟦see DPIA section 4'), findings: [{ message: /placeholder for the statutory data provision notice/ }] },
    { name: 'a notice awaited', text: withNotice('⟦Awaiting DPN 001'), findings: [{ message: /placeholder for the statutory data provision notice/ }] },
    { name: 'a draft notice', text: withNotice('⟦Draft DPN 2026-003'), findings: [{ message: /placeholder/ }] },
    { name: 'a notice applied for', text: withNotice('⟦DPN applied for in 2026'), findings: [{ message: /placeholder/ }] },
    { name: 'a notice with no number', text: withNotice('⟦NHS England data provision notice'), findings: [{ message: /does not state the statutory data provision notice .*does not identify a notice/ }] },
    {
      name: '01b: in the exdef language, a notice requested',
      syntax: 'exdef',
      text: variant(phmExdef, "    ARTICLE 9 '9(2)(h) management of health care systems'\n", "    ARTICLE 9 '9(2)(h) management of health care systems'\n    NOTICE ⟦'Notice requested from NHS England'\n"),
      findings: [{ message: /placeholder for the statutory data provision notice/ }],
    },
    // 18: a DPIA that has not started and a reviewer that names nobody.
    { name: '18: a DPIA not yet started', text: variant(phm, 'dpia: DPIA-2026-031', 'dpia: ⟦DPIA not yet started 01'), findings: [{ message: /placeholder for the DPIA reference \(dpia\): "DPIA not yet started 01"/ }] },
    { name: 'a DPIA in progress', text: variant(phm, 'dpia: DPIA-2026-031', 'dpia: ⟦DPIA-2026-031 in progress'), findings: [{ message: /placeholder for the DPIA reference/ }] },
    { name: '18: reviewed by nobody yet', text: variant(phm, 'reviewer: ICB Data Protection Officer', 'reviewer: ⟦Nobody yet'), findings: [{ message: /placeholder for who reviewed it \(review.reviewer\): "Nobody yet" \(it names nobody \("Nobody" at character 1\)\)$/ }] },
    { name: 'a reviewer to be appointed', text: variant(phm, 'reviewer: ICB Data Protection Officer', 'reviewer: ⟦Data Protection Officer (to be appointed)'), findings: [{ message: /placeholder for who reviewed it/ }] },
    { name: 'a reviewer unknown', text: variant(phm, 'reviewer: ICB Data Protection Officer', 'reviewer: ⟦Unknown reviewer'), findings: [{ message: /placeholder for who reviewed it/ }] },
    {
      name: 'a singling-out statement that starts with N/A',
      text: variant(phm, /  singling_out: >-\n[^\n]*\n[^\n]*\n/, '  singling_out: ⟦N/A because the feed is pseudonymised and groups are large enough.\n'),
      findings: [{ message: /placeholder for a statement on the risk of singling out/ }],
    },
  ],
});

testRule('direct-identifiers-need-basis', {
  valid: [{ name: 'the NHS number under a real notice', text: rawNhsNumber(withNotice(REAL_NOTICE)), alsoTriggers: ['no-pseudonym-beside-raw'] }],
  invalid: FAKE_NOTICES.map((notice) => ({
    name: `01: the NHS number under "${notice}"`,
    text: rawNhsNumber(withNotice(notice), '⟦'),
    alsoTriggers: ['governance-complete', 'no-pseudonym-beside-raw'],
    findings: [{ message: /^`people.person_key` exposes `nhs_number`, a direct identifier, but this is indirect care without a statutory basis/ }],
  })),
});

testRule('type1-opt-out', {
  valid: [{ name: 'overridden under a real notice', text: type1Override(withNotice(REAL_NOTICE)) }],
  invalid: FAKE_NOTICES.map((notice) => ({
    name: `01: overridden under "${notice}"`,
    text: type1Override(withNotice(notice), '⟦'),
    alsoTriggers: ['governance-complete'],
    findings: [{ message: /^Type 1 opt-outs can be overridden only for direct care or under a statutory data provision notice; .*not a reference counts as none/ }],
  })),
});

testRule('national-data-opt-out', {
  valid: [{ name: 'set aside under a real notice', text: ndooNotApplicable(withNotice(REAL_NOTICE)) }],
  invalid: [
    ...FAKE_NOTICES.map((notice) => ({
      name: `01: set aside under "${notice}"`,
      text: ndooNotApplicable(withNotice(notice), '⟦'),
      alsoTriggers: ['governance-complete'],
      findings: [{ message: /^indirect care must respect the National Data Opt-out unless a statutory notice requires the disclosure; none is given/ }],
    })),
    {
      name: '01b: in the exdef language, set aside under a requested notice',
      syntax: 'exdef' as const,
      alsoTriggers: ['governance-complete'],
      text: variant(
        variant(phmExdef, "    ARTICLE 9 '9(2)(h) management of health care systems'\n", "    ARTICLE 9 '9(2)(h) management of health care systems'\n    NOTICE 'Notice requested from NHS England'\n"),
        '  TYPE1 OPT OUT respect\n',
        "  TYPE1 OPT OUT respect\n  NATIONAL OPT OUT ⟦not_applicable\n    JUSTIFIED 'Case finding for frailty must reach every registered patient.'\n",
      ),
      findings: [{ message: /National Data Opt-out/ }],
    },
  ],
});

// ------------------------------------------------------------------------------------------ 09 / 10
const NOTICE_BASIS = { article_6: '6(1)(c) legal obligation', article_9: '9(2)(h) management of health care systems', notice: 'DPN 2024-017 (NHS England data provision notice)' };
testRule('exemption-valid', {
  valid: [
    { name: 'an approval by its CAG reference', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS } })) },
    { name: 'a DARS agreement (a request service by name)', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS, approval: 'DARS NIC-123456 (Data Access Request Service agreement)' } })) },
  ],
  invalid: [
    { name: '09: an approval pending', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS, approval: '⟦CAG application pending 2027' } })), findings: [{ message: /^`CAG application pending 2027` is not the reference of a notice or approval/ }] },
    { name: '10: a notice awaited', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...NOTICE_BASIS, notice: '⟦Awaiting DPN 001' } })), findings: [{ message: /^`Awaiting DPN 001` is not the reference/ }] },
    { name: 'a notice requested', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...NOTICE_BASIS, notice: '⟦DPN 2026-004 requested from NHS England' } })), findings: [{ message: /is not the reference/ }] },
    { name: 'an approval submitted', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS, approval: '⟦CAG 21/CAG/0123 submitted' } })), findings: [{ message: /is not the reference/ }] },
    { name: 'a proposed approval', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS, approval: '⟦Proposed CAG 21/CAG/0123' } })), findings: [{ message: /is not the reference/ }] },
    { name: 'an approval to follow', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS, approval: '⟦CAG 21/CAG/0123 to follow' } })), findings: [{ message: /is not the reference/ }] },
    { name: 'an approval not yet issued', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS, approval: '⟦CAG 2026 not yet issued' } })), findings: [{ message: /is not the reference/ }] },
    { name: 'an approval to be confirmed', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...VALID_BASIS, approval: '⟦CAG reference to be confirmed 2026' } })), findings: [{ message: /is not the reference/ }] },
    { name: 'a draft notice', text: withExemptions(phm, exemptionYaml({ legal_basis: { ...NOTICE_BASIS, notice: '⟦DPN 2026-003 (draft)' } })), findings: [{ message: /is not the reference/ }] },
    { name: 'an exemption justification put off', text: withExemptions(phm, exemptionYaml({ justification: '⟦Justification will be provided in a later version.' })), findings: [{ message: /says nothing about why it is needed/ }] },
  ],
});

// ------------------------------------------------------------------------------------------ 18 / 19
const SEX = 'justification: Prevalence and risk models differ by sex.';
const sex = (text: string) => variant(phm, SEX, `justification: ${text}`);
testRule('justification-meaningful', {
  valid: [
    { name: '"None of" is English', text: sex('None of the risk models work without sex.') },
    { name: '"Na" is sodium', text: sex('Na and K reference ranges differ by sex.') },
    { name: '"to follow up" is a clinical phrase', text: sex('Recall lists to follow up differ by sex.') },
    { name: 'a later refit is not a deferral', text: sex('Risk models are refitted later each year and differ by sex.') },
    { name: 'patients awaiting treatment', text: sex('Waiting times for patients awaiting treatment differ by sex.') },
  ],
  invalid: [
    { name: '18: to be confirmed later', text: sex('⟦Value to be confirmed with the data controller later.'), findings: [{ message: /still a placeholder \("Value to be confirmed with the data controller later."\): it puts off saying it \("to be confirmed" at character 7\)$/ }] },
    { name: '18: full-width N/A followed by words', text: sex('⟦Ｎ／Ａ field kept for the warehouse model load.'), findings: [{ message: /still a placeholder/ }] },
    { name: '18: provided in a later version', text: sex('⟦Justification will be provided in a later version.'), findings: [{ message: /still a placeholder/ }] },
    { name: 'TBD followed by a sentence', text: sex("⟦'TBD: risk models may differ by sex.'"), findings: [{ message: /still a placeholder/ }] },
    { name: 'a leading dash', text: sex("⟦'- kept for the warehouse model load'"), findings: [{ message: /still a placeholder/ }] },
    { name: 'NA followed by words', text: sex('⟦NA kept for the warehouse model load.'), findings: [{ message: /still a placeholder/ }] },
    { name: 'not yet written', text: sex('⟦Reason not yet written for the warehouse load.'), findings: [{ message: /still a placeholder/ }] },
    { name: 'see the DPIA', text: sex('⟦See the DPIA for why the warehouse needs sex.'), findings: [{ message: /still a placeholder/ }] },
    { name: 'pending sign-off', text: sex('⟦Warehouse model field, pending sign-off by the ICB.'), findings: [{ message: /still a placeholder/ }] },
  ],
});

testRule('deceased-excluded', {
  valid: [{ name: 'a real reason', text: variant(phm, '  deceased: exclude\n', '  deceased: include\n  deceased_justification: Mortality review of the cohort needs the patients who died.\n') }],
  invalid: [
    {
      name: '19: deceased included for a value to be confirmed',
      text: variant(phm, '  deceased: exclude\n', '  deceased: include\n  deceased_justification: ⟦Value to be confirmed with the data controller later on.\n'),
      findings: [{ message: /^deceased_justification .* does not justify including deceased patients: it puts off saying it \("to be confirmed" at character 7\)/ }],
    },
  ],
});

testRule('registration-permanent', {
  valid: [{ name: 'all registrations, justified', text: base.recall() }],
  invalid: [
    {
      name: '19: all registrations for a justification to come',
      text: variant(phm, '  registration: permanent\n', '  registration: all\n  registration_justification: ⟦Justification will be provided in a later version of this feed.\n'),
      findings: [{ message: /does not justify extracting all registrations: it puts off saying it/ }],
    },
  ],
});

testRule('type1-opt-out', {
  valid: [],
  invalid: [
    {
      name: 'Type 1 overridden in direct care for N/A with words',
      text: variant(base.direct(), '  type1_opt_out: respect\n', '  type1_opt_out: override\n  type1_opt_out_justification: ⟦N/A for this feed, as agreed with the CHIS provider.\n'),
      findings: [{ message: /does not justify overriding Type 1 opt-outs: it starts with a placeholder/ }],
    },
  ],
});

// ------------------------------------------------------------------------------------------------ 21
const chis = base.direct();
const INTENDED_USE = /intended_use: >-\n[^\n]*\n[^\n]*\n/;
/** The CHIS feed (direct care) with its intended use replaced (`text` may hold a ⟦ marker). */
const chisUse = (text: string) => variant(chis, INTENDED_USE, `intended_use: ${text}\n`);
testRule('supported-use-case', {
  valid: [
    { name: 'the CHIS call and recall feed', text: chis },
    { name: 'practice recall', text: base.recall() },
    { name: 'direct care planning that names what it is not', text: chisUse('Call and recall for routine childhood immunisations by the CHIS, so that no child misses a dose.') },
  ],
  invalid: [
    {
      name: '21: a research cohort declared direct care',
      text: chisUse('⟦Research dataset for the university cohort study of long-term conditions across the ICB, linked to hospital records for secondary analysis and publication.'),
      findings: [{ message: /^intended_use speaks of "Research", not of the care of the individuals, but care_type says direct/ }],
    },
    { name: 'population health analytics declared direct care', text: chisUse('⟦Population health analytics of childhood immunisation across the ICB.'), findings: [{ message: /speaks of "Population health"/ }] },
    { name: 'service planning declared direct care', text: chisUse('⟦Capacity planning of the immunisation clinics of the ICB for next winter.'), findings: [{ message: /speaks of "Capacity planning"/ }] },
    {
      name: 'a research use beside recall: a warning',
      text: chisUse('⟦Call and recall for routine childhood immunisations by the CHIS; the same data also feeds a university research study.'),
      findings: [{ severity: 'warning', message: /speaks of "research" as well as of the care of the individuals/ }],
    },
    {
      name: 'a legal basis statement about research',
      text: variant(chis, /  statement: >-\n[^\n]*\n[^\n]*\n/, '  statement: ⟦Secondary use of the immunisation records for the ICB research programme.\n'),
      findings: [{ message: /^legal_basis.statement speaks of "Secondary use"/ }],
    },
    { name: 'Article 9(2)(j) research condition in direct care', text: variant(chis, /article_9: [^\n]*/, 'article_9: ⟦9(2)(j) archiving, research and statistics'), findings: [{ message: /9\(2\)\(j\)/ }] },
  ],
});
