/**
 * Adversarial r11/2: an age in years, released by a repeated extract, reveals the birthday. Every
 * schedule repeats (hourly to quarterly): the age goes up on the anniversary, so the extract that
 * first shows it one higher tells the recipient the day. In indirect care a field showing
 * age_years() of a date is an error (generalise-quasi-identifiers); an age band or the year does
 * not move on a day only the patient knows.
 */
import { base, testRule, variant } from '../support/rule-tester.js';

const phm = base.indirect();
const birth = (value: string) => variant(phm, 'value: year(date_of_birth)', `value: ${value}`);
const reading = (value: string) => variant(phm, 'value: month(effective_date)\n        justification: Recency of control', `value: ${value}\n        justification: Recency of control`);

testRule('generalise-quasi-identifiers', {
  valid: [
    { name: 'clean: the year of birth in a weekly extract', text: phm },
    { name: 'clean: an age band in a weekly extract', text: birth('age_band(date_of_birth, 5)') },
    { name: 'clean: an age test shown as a boolean', text: birth('age_years(date_of_birth) >= 65') },
    { name: 'clean: an age in the population filter', text: variant(phm, '  practices: [A81001, A81002, A81003]\n', '  practices: [A81001, A81002, A81003]\n  where: age_years(date_of_birth) >= 18\n') },
    { name: 'clean: direct care may show an age (the rule is for indirect care)', text: variant(base.direct(), 'value: month(date_of_birth)', 'value: age_years(date_of_birth)') },
  ],
  invalid: [
    { name: 'age in years in a weekly extract', text: birth('⟦age_years(date_of_birth)'), findings: [{ message: /^`people.birth_year` releases an age in years of date_of_birth in a weekly extract: the age changes on the anniversary/ }] },
    { name: 'age in years in a daily delta', text: variant(variant(birth('⟦age_years(date_of_birth)'), 'mode: full', 'mode: delta'), 'frequency: weekly', 'frequency: daily'), findings: [{ message: /in a daily extract/ }] },
    { name: 'age in years in a quarterly extract (still repeated)', text: variant(birth('⟦age_years(date_of_birth)'), 'frequency: weekly', 'frequency: quarterly'), findings: [{ message: /in a quarterly extract/ }] },
    { name: 'age in years, computed', text: birth('⟦age_years(date_of_birth) + 0'), findings: [{ message: /releases an age in years of date_of_birth/ }] },
    { name: 'age in years under coalesce', text: birth('⟦coalesce(age_years(date_of_birth), 0)'), findings: [{ message: /releases an age in years of date_of_birth/ }] },
    { name: 'age in years of a shifted date of birth', text: birth('⟦age_years(date_of_birth + 1)'), findings: [{ message: /releases an age in years of date_of_birth/ }] },
    { name: 'years since a reading: its anniversary tells the day of the reading', text: reading('⟦age_years(effective_date)'), findings: [{ message: /^`blood_pressure.reading_month` releases an age in years of effective_date/ }] },
  ],
});
