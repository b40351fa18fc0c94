import { base, testRule, variant } from '../support/rule-tester.js';

const phm = base.indirect();
const reviewed = (date: string) => variant(phm, 'last_reviewed: 2026-09-15', `last_reviewed: ${date}`);

testRule('review-current', {
  valid: [
    { name: 'reviewed two months ago', text: phm },
    { name: 'reviewed exactly three months ago', text: reviewed('2026-08-21') },
    { name: 'reviewed today', text: reviewed('2026-11-21') },
    { name: 'an old review, checked on a date when it was current', text: reviewed('2025-01-10'), today: '2025-03-01' },
  ],
  invalid: [
    { name: 'three months and a day ago (a warning by default)', text: reviewed('⟦2026-08-20'), findings: [{ severity: 'warning', message: /^the last review was on 2026-08-20, more than 3 months before 2026-11-21: the extract is due for IG review$/ }] },
    { name: 'a year ago', text: reviewed('⟦2025-11-01'), findings: [{ severity: 'warning' }] },
    { name: 'a review dated in the future', text: reviewed('⟦2026-12-01'), findings: [{ severity: 'warning', message: /after 2026-11-21/ }] },
    { name: 'judged on --today, not the calendar', text: reviewed('⟦2026-01-01'), today: '2026-05-01', findings: [{ severity: 'warning' }] },
  ],
});
