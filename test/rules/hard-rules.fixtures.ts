import { base, variant } from '../support/rule-tester.js';

/** The warehouse feed with the blood_pressure dataset's filter replaced. */
export function bloodPressureWhere(where: string): string {
  return variant(base.indirect(), "    where: code in << 75367002 |Blood pressure| and effective_date >= today() - interval '2 years'", `    where: ${where}`);
}

/** The warehouse feed with a field added to the blood_pressure dataset. */
export function bloodPressureField(name: string, value: string, justification = 'Shows the context the measure needs.'): string {
  return variant(
    base.indirect(),
    '        justification: Recency of control is what the measure needs; the month is precise enough.\n',
    `        justification: Recency of control is what the measure needs; the month is precise enough.\n      - name: ${name}\n        value: ${value}\n        justification: ${justification}\n`,
  );
}

/** A population filter on the warehouse feed. */
export function populationWhere(where: string): string {
  return variant(base.indirect(), '  practices: [A81001, A81002, A81003]\n', `  practices: [A81001, A81002, A81003]\n  where: ${where}\n`);
}
