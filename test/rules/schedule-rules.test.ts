import { base, testRule, variant } from '../support/rule-tester.js';

const phm = base.indirect();
const schedule = (text: string) => variant(phm, 'schedule:\n  frequency: weekly\n  window: 02:00-04:00', text);

testRule('schedule-at-most-daily', {
  valid: [
    { name: 'weekly', text: phm },
    { name: 'daily', text: schedule('schedule:\n  frequency: daily\n  window: 02:00-04:00') },
  ],
  invalid: [
    { name: 'hourly', text: schedule('schedule:\n  frequency: ⟦hourly\n  window: 02:00-04:00'), findings: [{ message: /^schedule.frequency hourly runs more than once a day/ }] },
    { name: 'twice a day', text: schedule('schedule:\n  frequency: ⟦twice_daily\n  window: 02:00-04:00'), findings: [{}] },
  ],
});

testRule('schedule-overnight', {
  valid: [
    { name: '02:00-04:00', text: phm },
    { name: 'a window across midnight', text: schedule('schedule:\n  frequency: daily\n  window: 23:00-02:00') },
    { name: 'the whole overnight period', text: schedule('schedule:\n  frequency: daily\n  window: 19:00-07:00') },
  ],
  invalid: [
    { name: 'during the working day', text: schedule('schedule:\n  frequency: daily\n  window: ⟦09:00-11:00'), findings: [{ severity: 'warning', message: /^the run window 09:00-11:00 reaches outside the overnight hours \(19:00-07:00\)/ }] },
    { name: 'overnight but running into the morning', text: schedule('schedule:\n  frequency: daily\n  window: ⟦05:00-08:00'), findings: [{ severity: 'warning' }] },
    { name: 'no window', text: schedule('⟦schedule:\n  frequency: daily'), findings: [{ severity: 'warning', message: /gives no run window/ }] },
  ],
});
