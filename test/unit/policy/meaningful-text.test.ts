import { describe, expect, it } from 'vitest';
import { hiddenCharacters, lookAlikeSkeleton } from '../../../src/source/hidden-characters.js';
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
