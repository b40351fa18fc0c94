import { describe, expect, it } from 'vitest';
import { formatPosition } from '../../../src/source/source-file.js';
import { parseDefinitionTestText } from '../../../src/definition-test/parse-definition-test.js';

const FILE = 'definitions/example.test.yaml';

function problems(text: string): string[] {
  const { test, diagnostics } = parseDefinitionTestText(FILE, text);
  expect(test).toBeUndefined();
  return diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.span ? formatPosition(d.span) : '-'} ${d.code}: ${d.message}`);
}

const VALID = `today: 2026-11-20
patients:
  alice:
    born: 2008-03-01
    observations:
      - { code: 999004351000000109 |Gender reassignment refset|, date: 2024-01-05, value: 120.50 }
  bob:
    registered: []
expect:
  children:
    rows:
      - { patient: alice, code: 999004351000000109, value: 7.10 }
    absent:
      - { patient: bob }
    count: 1
`;

describe('definition test files', () => {
  it('reads patients in plain terms, keeping concept ids and numbers as written', () => {
    const { test, diagnostics } = parseDefinitionTestText(FILE, VALID);
    expect(diagnostics).toEqual([]);
    expect(test!.today).toBe('2026-11-20');
    const alice = test!.patients.find((p) => p.name === 'alice')!;
    expect(alice.born).toBe('2008-03-01');
    expect(alice.registrations).toBeUndefined();
    expect(alice.observations[0]!.values).toEqual({ code: '999004351000000109', date: '2024-01-05', value: '120.50' });
    expect(test!.patients.find((p) => p.name === 'bob')!.registrations).toEqual([]);
    const children = test!.expectations[0]!;
    expect(children.rows[0]).toMatchObject({ patient: 'alice', fields: { code: '999004351000000109', value: '7.10' } });
    expect(children.absent[0]!.patient).toBe('bob');
    expect(children.count?.value).toBe(1);
    expect(formatPosition(children.count!.span)).toBe(`${FILE}:15:12`);
  });

  it('reports bad YAML at its line and column', () => {
    expect(problems('today: 2026-11-20\npatients:\n  alice: { born: 2008-03-01\nexpect: {}\n')[0]).toMatch(/^definitions\/example\.test\.yaml:\d+:\d+ yaml-syntax: YAML syntax error/);
  });

  it('reports a reference to an unknown patient where it is written, with a suggestion', () => {
    const text = VALID.replace('- { patient: bob }', '- { patient: bobb }');
    expect(problems(text)).toEqual([`${FILE}:14:20 test-unknown-patient: no test patient is called \`bobb\`; did you mean \`bob\`?`]);
  });

  it('reports a date that is not in the calendar, and one not written YYYY-MM-DD', () => {
    expect(problems(VALID.replace('born: 2008-03-01', 'born: 2008-02-30'))).toEqual([`${FILE}:4:11 test-bad-date: \`alice\`'s date of birth is not a date of the calendar: 2008-02-30`]);
    expect(problems(VALID.replace('date: 2024-01-05', 'date: 05/01/2024'))).toEqual([`${FILE}:6:72 schema-invalid-value: \`patients.alice.observations[0].date\` must be a date written YYYY-MM-DD`]);
    expect(problems(VALID.replace('today: 2026-11-20', 'today: 2026-13-01'))).toEqual([`${FILE}:1:8 test-bad-date: \`today\` is not a date of the calendar: 2026-13-01`]);
  });

  it('reports unknown keys with a suggestion, and missing required keys', () => {
    expect(problems(VALID.replace('    observations:', '    observation:'))[0]).toBe(`${FILE}:5:5 schema-unknown-key: unknown key \`observation\` in \`patients.alice\`; did you mean \`observations\`?`);
    expect(problems(VALID.replace('today: 2026-11-20\n', ''))).toEqual([`${FILE}:1:1 schema-missing-key: the document is missing \`today\``]);
  });

  it('refuses a registration that ends before it starts, and a file that is not a map', () => {
    const reversed = VALID.replace('registered: []', 'registered: [{ from: 2020-01-01, to: 2019-12-31 }]');
    expect(problems(reversed)).toEqual([`${FILE}:8:42 test-dates-reversed: the registration ends (2019-12-31) before it starts (2020-01-01)`]);
    expect(problems('- just a list\n')).toEqual([`${FILE}:1:1 test-not-a-map: a definition test is a YAML map with today, patients and expect; this file holds something else`]);
  });

  it('refuses two patients with the same NHS number, at the second, and a number whose check digit is wrong', () => {
    const twins = VALID.replace('  alice:\n', "  alice:\n    nhs_number: '9990000018'\n").replace('  bob:\n', "  bob:\n    nhs_number: '9990000018'\n");
    expect(problems(twins)).toEqual([
      `${FILE}:9:17 test-duplicate-nhs-number: \`bob\` has the NHS number 9990000018 of \`alice\`: each test patient needs a number of their own, or rows of one would be credited to the other`,
    ]);
    const { diagnostics } = parseDefinitionTestText(FILE, VALID.replace('  bob:\n', "  bob:\n    nhs_number: '9990000019'\n"));
    expect(diagnostics.map((d) => `${formatPosition(d.span!)} ${d.code}: ${d.message}`)).toEqual([
      `${FILE}:8:17 test-invalid-nhs-number: \`bob\`'s NHS number 9990000019 is not a valid NHS number: its last digit is not the modulus-11 check digit of the first nine`,
    ]);
    expect(diagnostics[0]!.hints![0]).toBe('with these nine digits the check digit is 8: 9990000018');
    // A valid number of one's own is fine.
    expect(parseDefinitionTestText(FILE, VALID.replace('  bob:\n', "  bob:\n    nhs_number: '9990000018'\n")).diagnostics).toEqual([]);
  });

  it('reports a patient name with a space once, at the name, in plain words', () => {
    expect(problems(VALID.replace('  bob:\n', '  Bob Smith:\n').replace('{ patient: bob }', '{ patient: alice }'))).toEqual([
      `${FILE}:7:3 test-bad-patient-name: \`Bob Smith\` cannot be a patient name: a name starts with a letter and holds only letters, digits, \`-\` and \`_\` (no spaces or other signs)`,
    ]);
  });

  it('refuses impossible dates: death or a registration before birth, a registration after death, a record before birth', () => {
    expect(problems(VALID.replace('    born: 2008-03-01\n', '    born: 2008-03-01\n    died: 2008-02-28\n'))).toEqual([
      `${FILE}:5:11 test-impossible-date: the date of death (2008-02-28) is before \`alice\`'s date of birth (2008-03-01)`,
    ]);
    expect(problems(VALID.replace('registered: []', 'registered: [{ from: 1979-12-31 }]'))).toEqual([
      `${FILE}:8:26 test-impossible-date: a registration start (1979-12-31) is before \`bob\`'s date of birth (1980-01-01, the default)`,
    ]);
    expect(problems(VALID.replace('registered: []', 'registered: [{ to: 1979-12-31 }]'))).toEqual([
      `${FILE}:8:24 test-impossible-date: a registration end (1979-12-31) is before \`bob\`'s date of birth (1980-01-01, the default)`,
    ]);
    expect(problems(VALID.replace('registered: []', 'died: 2020-01-01\n    registered: [{ from: 2021-01-01 }]'))).toEqual([
      `${FILE}:9:26 test-impossible-date: a registration start (2021-01-01) is after \`bob\`'s date of death (2020-01-01)`,
    ]);
    expect(problems(VALID.replace('date: 2024-01-05', 'date: 2001-01-05'))).toEqual([
      `${FILE}:6:72 test-impossible-date: the date of a record in observations (2001-01-05) is before \`alice\`'s date of birth (2008-03-01)`,
    ]);
    // Odd but possible: a death after the extract date, a record after death, a registration ending after death.
    const odd = VALID.replace('registered: []', "died: 2027-01-01\n    registered: [{ from: 2000-01-01, to: 2027-02-01 }]\n    observations: [{ code: 73211009, date: 2027-01-10 }]");
    expect(parseDefinitionTestText(FILE, odd).diagnostics).toEqual([]);
  });
});
