import { describe, expect, it } from 'vitest';
import { ARTICLE_6_CONDITIONS, ARTICLE_9_CONDITIONS, citedCondition, conditionsHint } from '../../../src/policy/legal-basis.js';
import { defaultPolicy } from '../../../src/policy/policy.js';
import { justificationProblem, referenceProblem } from '../../../src/policy/reference-text.js';
import { RULES } from '../../../src/policy/rules/index.js';

const policy = defaultPolicy({ ids: RULES.map((r) => r.meta.id), isHard: (id) => RULES.find((r) => r.meta.id === id)?.meta.hard ?? false, category: (id) => RULES.find((r) => r.meta.id === id)?.meta.category });

describe('the closed lists of UK GDPR conditions', () => {
  it('hold 6(1)(a)–(f) and 9(2)(a)–(j), nothing else', () => {
    expect(ARTICLE_6_CONDITIONS.map((c) => c.code)).toEqual(['a', 'b', 'c', 'd', 'e', 'f'].map((l) => `6(1)(${l})`));
    expect(ARTICLE_9_CONDITIONS.map((c) => c.code)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].map((l) => `9(2)(${l})`));
  });

  it('accept a condition written number first, with or without words after it', () => {
    expect(citedCondition(6, '6(1)(e)')?.code).toBe('6(1)(e)');
    expect(citedCondition(6, '6(1)(e) public task')?.code).toBe('6(1)(e)');
    expect(citedCondition(9, '9(2)(j) research')?.code).toBe('9(2)(j)');
  });

  it('refuse anything else', () => {
    for (const text of ['6(1)(z)', '6(1)(E)', 'Art. 6(1)(e)', 'Article 6(1)(e)', '6.1.e', '6(1)(e)x', ' 6(1)(e)', 'public task', 'n/a', '', '\u200b6(1)(e)', '9(2)(h)']) {
      expect(citedCondition(6, text), text).toBeUndefined();
    }
    for (const text of ['9(2)(k)', '9(2)', '6(1)(e) public task', '9(2)(h)\u200b']) expect(citedCondition(9, text), text).toBeUndefined();
  });

  it('list the accepted spellings in the hint', () => {
    expect(conditionsHint(9)).toMatch(/^article_9 starts with one of 9\(2\)\(a\) \(explicit consent\), .* 9\(2\)\(j\) \(archiving, research and statistics\)$/);
  });
});

describe('a reference of a notice or approval', () => {
  it('identifies a document', () => {
    for (const text of ['CAG 21/CAG/0123', 'CAG 21/CAG/0123 (s251 support)', 'DPN 2024-017', 'COPI notice 2020 regulation 3(4)', 'Direction 2023/14 under s254']) {
      expect(referenceProblem(text, policy), text).toBeUndefined();
    }
  });

  it('is not a placeholder, a stock phrase, a bare number or a bare statute', () => {
    for (const text of ['n/a', 'N/A', 'TBC', 'none', '-', '--', '.', 'nil', 'to follow', 'see DPIA', 'see DPIA 2024', 'ref 000', '0000', '123456', 's251', 's251 approved', 'statutory notice', 'TBC 2025', 'approval pending 1', 'xxxxxx']) {
      expect(referenceProblem(text, policy), text).toBe('placeholder');
    }
  });

  it('holds no characters a reader cannot see', () => {
    for (const text of ['\u200b\u200b\u200b', 'CAG 21/CAG/0123\u200b', 'CAG\u2060 21/CAG/0123', 'DPN\u202e 2024-017', 'CAG 21/CAG/0123\u0007']) expect(referenceProblem(text, policy), JSON.stringify(text)).toBe('invisible');
  });
});

describe('an exemption\'s justification', () => {
  it('says why, at the policy\'s minimum length', () => {
    expect(justificationProblem('The sexual health service needs HIV status to plan its clinics.', policy)).toBeUndefined();
    expect(justificationProblem('TBC', policy)).toBe('placeholder');
    expect(justificationProblem('not applicable, see the DPIA, to follow', policy)).toBe('placeholder');
    expect(justificationProblem('For the clinic.', policy)).toBe('placeholder');
    expect(justificationProblem('The sexual health service\u200b needs it for its clinics.', policy)).toBe('invisible');
  });
});
