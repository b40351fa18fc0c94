import { base, testRule, variant } from '../support/rule-tester.js';

const phm = base.indirect();
const notice = (text: string) =>
  variant(text, '  article_9: 9(2)(h) management of health care systems\n', '  article_9: 9(2)(h) management of health care systems\n  data_provision_notice: DPN-2026-004 (Direction under section 254)\n');

testRule('registration-permanent', {
  valid: [
    { name: 'permanent registrations', text: phm },
    { name: 'all registrations, justified', text: base.recall() },
  ],
  invalid: [
    { name: 'all registrations without a reason', text: variant(phm, 'registration: permanent', 'registration: ⟦all'), findings: [{ message: /needs an explicit reason \(registration_justification\)/ }] },
    { name: 'a blank reason', text: variant(phm, 'registration: permanent', "registration: ⟦all\n  registration_justification: ' '"), findings: [{}] },
  ],
});

testRule('deceased-excluded', {
  valid: [
    { name: 'deceased patients excluded', text: phm },
    { name: 'deceased patients included with a reason', text: variant(phm, 'deceased: exclude', 'deceased: include\n  deceased_justification: Mortality review of the long-term condition cohort.') },
  ],
  invalid: [{ name: 'deceased patients included without a reason', text: variant(phm, 'deceased: exclude', 'deceased: ⟦include'), findings: [{ message: /^deceased: include needs a reason/ }] }],
});

testRule('type1-opt-out', {
  valid: [
    { name: 'respected', text: phm },
    { name: 'overridden for direct care, justified', text: base.recall() },
    { name: 'overridden under a statutory notice, justified', text: notice(variant(phm, 'type1_opt_out: respect', 'type1_opt_out: override\n  type1_opt_out_justification: The Direction requires all patients.')) },
  ],
  invalid: [
    { name: 'overridden for indirect care', text: variant(phm, 'type1_opt_out: respect', 'type1_opt_out: ⟦override\n  type1_opt_out_justification: The warehouse needs complete data.'), findings: [{ message: /only for direct care or under a statutory data provision notice/ }] },
    { name: 'overridden for indirect care without a reason either', text: variant(phm, 'type1_opt_out: respect', 'type1_opt_out: ⟦⟦override'), findings: [{ message: /statutory/ }, { message: /needs a justification/ }] },
    { name: 'overridden for direct care without a reason', text: variant(base.recall(), /  type1_opt_out_justification: >-\n[^\n]*\n/, '').replace('type1_opt_out: override', 'type1_opt_out: ⟦override'), findings: [{ message: /needs a justification/ }] },
  ],
});

testRule('national-data-opt-out', {
  valid: [
    { name: 'respected by default in indirect care', text: phm },
    { name: 'not applicable to direct care', text: base.direct() },
    { name: 'set aside under a statutory notice, justified', text: notice(variant(phm, 'type1_opt_out: respect', 'type1_opt_out: respect\n  national_data_opt_out: not_applicable\n  national_data_opt_out_justification: The disclosure is required by the Direction.')) },
  ],
  invalid: [
    { name: 'set aside in indirect care', text: variant(phm, 'type1_opt_out: respect', 'type1_opt_out: respect\n  national_data_opt_out: ⟦not_applicable'), findings: [{ message: /must respect the National Data Opt-out/ }] },
    { name: 'set aside under a notice without a reason', text: notice(variant(phm, 'type1_opt_out: respect', 'type1_opt_out: respect\n  national_data_opt_out: ⟦not_applicable')), findings: [{ message: /needs a justification/ }] },
  ],
});
