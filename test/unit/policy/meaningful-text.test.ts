import { describe, expect, it } from 'vitest';
import { hiddenCharacters, lookAlikeSkeleton } from '../../../src/source/hidden-characters.js';
import { noticeProblem, statutoryNotice } from '../../../src/policy/legal-basis.js';
import { textProblems, textSimilarity } from '../../../src/policy/meaningful-text.js';
import { defaultPolicy } from '../../../src/policy/policy.js';
import { RULES } from '../../../src/policy/rules/index.js';

const policy = defaultPolicy({ ids: RULES.map((r) => r.meta.id), isHard: (id) => RULES.find((r) => r.meta.id === id)?.meta.hard ?? false, category: (id) => RULES.find((r) => r.meta.id === id)?.meta.category });
const first = (text: string, kind: Parameters<typeof textProblems>[1]) => textProblems(text, kind, policy)[0]?.kind;

describe('textProblems: one check for every text a reviewer relies on', () => {
  it('accepts real texts of each kind, short where the kind allows', () => {
    expect(first('Links each reading to the person.', 'justification')).toBeUndefined();
    expect(first('The sexual health service needs HIV status to plan its clinics.', 'justification')).toBeUndefined();
    expect(first('Call and recall for routine childhood immunisations by the CHIS.', 'statement')).toBeUndefined();
    expect(first('DPIA-7', 'reference')).toBeUndefined();
    expect(first('Health Service (Control of Patient Information) Regulations 2002, regulation 3', 'reference')).toBeUndefined();
    expect(first('s251 approval CAG 8-03(PR11)/2026', 'reference')).toBeUndefined();
    expect(first('Caldicott Guardian', 'name')).toBeUndefined();
  });

  it.each([
    ['n/a', 'reference', 'placeholder'],
    ['TBC', 'reference', 'placeholder'],
    ['  -  ', 'justification', 'placeholder'],
    ['Nil', 'statement', 'placeholder'],
    ['[insert legal basis]', 'reference', 'placeholder'],
    ['Approved', 'reference', 'vague-reference'],
    ['see DPIA', 'reference', 'stock'],
    ['\u200b', 'name', 'hidden'],
    ['Consent\u2067 of the patient', 'reference', 'hidden'],
    ['Required for analytical purposes', 'justification', 'stock'],
    ['Lorem ipsum dolor sit amet', 'statement', 'filler'],
    ['zxcv', 'name', 'filler'],
    ['risk risk risk risk risk risk', 'statement', 'repetitive'],
    ['Too brief.', 'justification', 'short'],
    ['Risk differs.', 'justification', 'short'],
    ['Prevalence prevalence matters!', 'justification', 'few-words'],
  ] as const)('%j as a %s: %s', (text, kind, problem) => {
    expect(first(text, kind)).toBe(problem);
  });

  it('reports a hidden character with its index, so a rule can point at it', () => {
    const [problem] = textProblems('Legal\u200b basis', 'reference', policy);
    expect(problem!.hidden).toMatchObject({ index: 5, kind: 'invisible' });
    expect(problem!.detail).toBe('it hides a zero-width space (U+200B) at character 6');
  });
});

describe('placeholders written to look like texts (adversarial review r1, bypasses 01, 09, 10, 18, 19)', () => {
  it.each([
    ['Ｎ／Ａ field kept for the warehouse model load.', 'justification', 'starts with a placeholder ("N/A" at character 1)'],
    ['NA kept for the load.', 'justification', 'starts with a placeholder ("NA"'],
    ['N.A. - kept for the load of the frailty model', 'justification', 'starts with a placeholder ("N.A."'],
    ['None needed beyond the warehouse load.', 'justification', 'starts with a placeholder ("None"'],
    ['- kept for the warehouse model', 'justification', 'starts with a placeholder ("-"'],
    ['Value to be confirmed with the data controller later.', 'justification', 'puts off saying it ("to be confirmed" at character 7)'],
    ['Justification will be provided in a later version.', 'justification', 'puts off saying it ("will be provided in a later"'],
    ['Kept for the model; the reason is explained to the ICB later.', 'justification', 'puts off saying it ("explained to the ICB later"'],
    ['Reason not yet written for the warehouse.', 'statement', 'puts off saying it ("not yet"'],
    ['See the DPIA, section 4, on frailty case finding.', 'justification', 'points somewhere else'],
    ['Nobody yet', 'name', 'names nobody ("Nobody"'],
    ['Unknown', 'name', 'placeholder'],
    ['Caldicott Guardian (post vacant)', 'name', 'names nobody ("vacant"'],
    ['Notice requested from NHS England', 'reference', 'does not exist yet ("requested" at character 8)'],
    ['DPN TBC 2026', 'reference', 'does not exist yet ("TBC"'],
    ['see DPIA section 4', 'reference', 'points somewhere else'],
    ['CAG application pending 2027', 'reference', 'does not exist yet ("application"'],
    ['Awaiting DPN 001', 'reference', 'does not exist yet ("Awaiting"'],
    ['DPIA not yet started 01', 'reference', 'does not exist yet ("not yet"'],
    ['DPIA-2026-031 (draft)', 'reference', 'does not exist yet ("draft"'],
    ['CAG 21/CAG/0123 submitted', 'reference', 'does not exist yet ("submitted"'],
    ['DPN 2026-004 under review', 'reference', 'does not exist yet ("under review"'],
  ] as const)('%j as a %s is a placeholder: %s', (text, kind, detail) => {
    const [problem] = textProblems(text, kind, policy);
    expect(problem?.kind).toBe('placeholder');
    expect(problem?.detail).toContain(detail);
  });

  it.each([
    ['None of the risk models work without sex.', 'justification'],
    ['Na and K reference ranges differ by sex.', 'justification'],
    ['Nil by mouth status changes the anaesthetic plan.', 'justification'],
    ['Recall lists to follow up differ by sex.', 'justification'],
    ['Waiting times for patients awaiting treatment differ by sex.', 'justification'],
    ['Risk models are refitted later each year and differ by sex.', 'justification'],
    ['Risk models differ by sex (see the TODO list of the model team).', 'justification'],
    ['Referrals pending review by the two-week-wait clinic are counted.', 'justification'],
    ['No one under 18 is in the cohort, so age bands start at 18 years.', 'statement'],
    ['DPN-2026-004 (Direction under section 254)', 'reference'],
    ['COPI notice 2020 regulation 3(4)', 'reference'],
    ['DARS NIC-123456 (Data Access Request Service agreement)', 'reference'],
    ['ICB Data Protection Officer', 'name'],
  ] as const)('%j as a %s stays clean', (text, kind) => {
    expect(textProblems(text, kind, policy)).toEqual([]);
  });
});

describe('statutoryNotice: a notice counts only when it is a reference', () => {
  const lb = (notice?: string) => ({ legalBasis: notice === undefined ? {} : { dataProvisionNotice: notice } });
  it('returns a real notice', () => {
    expect(statutoryNotice(lb('DPN-2026-004 (Direction under section 254)'), policy)).toBe('DPN-2026-004 (Direction under section 254)');
    expect(statutoryNotice(lb('NHS England DPN 2026-11 (GP data for planning)'), policy)).toBe('NHS England DPN 2026-11 (GP data for planning)');
  });
  it.each(['', '  ', 'n/a', 'Notice requested from NHS England', 'DPN TBC 2026', 'see DPIA section 4', 'Awaiting DPN 001', 'NHS England data provision notice', 'DPN 0000', 'DPN 2026-004\u200b'])('%j is no notice', (text) => {
    expect(statutoryNotice(lb(JSON.parse(`"${text}"`)), policy)).toBeUndefined();
  });
  it('says why a named notice without a number is none', () => {
    expect(noticeProblem('NHS England data provision notice', policy)).toMatchObject({ kind: 'vague-reference', detail: expect.stringMatching(/does not identify a notice/) });
    expect(statutoryNotice(lb(), policy)).toBeUndefined();
  });
});

describe('hidden and look-alike characters', () => {
  it('finds Cyrillic letters only inside Latin words', () => {
    expect(hiddenCharacters('Nеeded').map((h) => [h.index, h.kind])).toEqual([[1, 'look-alike']]);
    expect(hiddenCharacters('Для анализа')).toEqual([]);
  });

  it('folds what a reader cannot tell apart', () => {
    expect(lookAlikeSkeleton('Ｎｅｅｄｅｄ\u00a0for\u200b analysіs ')).toBe('Needed for analysis');
  });
});

describe('textSimilarity', () => {
  it('scores one word changed as alike, and different reasons as different', () => {
    expect(textSimilarity('Required for the ICB risk stratification programme (age).', 'Required for the ICB risk stratification programme (sex).')).toBeGreaterThanOrEqual(policy.thresholds.nearDuplicateSimilarity);
    expect(textSimilarity('Links each diagnosis to the person.', 'Links each reading to the person.')).toBeLessThan(policy.thresholds.nearDuplicateSimilarity);
    expect(textSimilarity('Age is the main driver of risk stratification.', 'Prevalence and risk models differ by sex.')).toBeLessThan(0.3);
  });

  it('ignores the subject words each text names', () => {
    expect(textSimilarity('Sex is used by the ICB risk model.', 'Age is used by the ICB risk model.', { a: ['sex'], b: ['age'] })).toBe(1);
  });
});
