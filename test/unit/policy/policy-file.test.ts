import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { lintDefinitionText, prepareLint, ruleCatalogue } from '../../../src/pipeline/lint-definition.js';
import { loadPolicy } from '../../../src/policy/policy.js';
import { resources } from '../../../src/resources.js';
import { at, marked } from '../../support/span-markers.js';
import { exemptionYaml, VALID_BASIS, withExemptions } from '../../support/exemption-yaml.js';
import { base, TODAY, variant } from '../../support/rule-tester.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'exdef-policy-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function policyFile(name: string, text: string): { path: string; starts: string[] } {
  const { text: clean, starts } = marked(text);
  const path = join(dir, name);
  writeFileSync(path, clean);
  return { path, starts };
}

describe('the default policy', () => {
  const policy = loadPolicy(ruleCatalogue).policy!;

  it('holds the sensitive code sets of seed 002 in ECL', () => {
    expect(Object.fromEntries(policy.sensitiveCodeSets.map((s) => [s.name, s.text.replace(/\s*\|[^|]*\|/g, '').replace(/\s+/g, ' ')]))).toEqual({
      gender_reassignment: '^ 999004351000000109 OR ^ 1955851000000101',
      sexuality: '<< 118199002 OR << 365957000 OR << 118200004 OR << 171023003',
      hiv_sti: '^ 999004381000000103',
      termination_of_pregnancy: '^ 999004361000000107',
      assisted_fertilisation: '^ 999004371000000100',
    });
    expect(policy.thresholds).toMatchObject({ reviewMonths: 3, kAnonymity: 10 });
    expect(policy.severity['review-current']).toBe('warning');
  });
});

describe('an organisation policy file', () => {
  it('cannot lower a hard rule: the policy is refused, at the line', () => {
    const { path, starts } = policyFile('lower.yaml', 'policy: 1\nseverity:\n  no-free-text: ⟦warning\n  pds-sensitive-never: ⟦off\n');
    const { policy, diagnostics } = loadPolicy(ruleCatalogue, path);
    expect(policy).toBeUndefined();
    expect(diagnostics.map((d) => [d.code, at(d)])).toEqual([
      ['policy-hard-rule-lowered', starts[0]],
      ['policy-hard-rule-lowered', starts[1]],
    ]);
    expect(diagnostics[0]!.message).toBe('`no-free-text` is a hard rule: it is always an error and a policy cannot make it a warning');
  });

  it('cannot lower a rule that protects the people in the data, nor loosen a threshold of the IM1 policy (adversarial review 2026-12-03)', () => {
    const { path, starts } = policyFile(
      'loosen.yaml',
      'policy: 1\nseverity:\n  type1-opt-out: ⟦off\n  direct-identifiers-need-basis: ⟦warning\n  national-data-opt-out: ⟦off\n  review-current: warning\nthresholds:\n  k_anonymity: ⟦2\n  review_months: ⟦12\n  code_set_min_remaining: 8\n',
    );
    const { policy, diagnostics } = loadPolicy(ruleCatalogue, path);
    expect(policy).toBeUndefined();
    expect(diagnostics.map((d) => [d.code, at(d)])).toEqual([
      ['policy-protected-rule-lowered', starts[0]],
      ['policy-protected-rule-lowered', starts[1]],
      ['policy-protected-rule-lowered', starts[2]],
      ['policy-threshold-widened', starts[3]],
      ['policy-threshold-widened', starts[4]],
    ]);
    expect(diagnostics[0]!.message).toMatch(/^`type1-opt-out` protects the people in the data as the IM1 policy requires: an organisation's policy cannot make it off/);
    expect(diagnostics[3]!.message).toBe("thresholds.k_anonymity: 2 would widen what the IM1 policy allows (k of at least 10): an organisation's policy can only narrow it");
  });

  it('cannot redefine or remove a default code set, nor name an unknown rule', () => {
    const { path, starts } = policyFile('redefine.yaml', 'policy: 1\nsensitive_code_sets:\n  ⟦hiv_sti:\n    title: Nothing\n    ecl: 73211009\nseverity:\n  ⟦review-curent: error\n');
    const { diagnostics } = loadPolicy(ruleCatalogue, path);
    expect(diagnostics.map((d) => [d.code, at(d)])).toEqual([
      ['policy-unknown-rule', starts[1]],
      ['policy-redefines-set', starts[0]],
    ]);
    expect(diagnostics.find((d) => d.code === 'policy-unknown-rule')!.message).toBe('`review-curent` is not a rule; did you mean `review-current`?');
  });

  it('reports a bad ECL at its place in the policy file', () => {
    const { path, starts } = policyFile('ecl.yaml', 'policy: 1\nsensitive_code_sets:\n  smoking:\n    title: Smoking\n    ecl: << 77176002 OR << ⟦77176001\n');
    const { diagnostics } = loadPolicy(ruleCatalogue, path);
    expect(diagnostics.map((d) => [d.code, at(d)])).toEqual([['invalid-concept-id', starts[0]]]);
  });

  it('adds code sets, and raises or lowers rules that are not hard', async () => {
    const { path } = policyFile('extend.yaml', 'policy: 1\nname: Example ICB policy\nsensitive_code_sets:\n  smoking:\n    title: Smoking status\n    ecl: << 365980008\nseverity:\n  review-current: error\n  schedule-overnight: off\nthresholds:\n  review_months: 2\n');
    const prepared = await prepareLint({ catalogue: referenceCatalogue(), today: TODAY, policyFile: path });
    expect(prepared.diagnostics).toEqual([]);
    const text = variant(variant(base.indirect(), 'last_reviewed: 2026-09-15', 'last_reviewed: 2025-06-01'), "    where: code in << 75367002 |Blood pressure| and effective_date >= today() - interval '2 years'", '    where: code in << 77176002');
    const codes = lintDefinitionText('x.exdef.yaml', text, prepared.context!).diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);
    expect(codes).toEqual(['review-current', 'sensitive-codes']);
    const relaxed = lintDefinitionText('x.exdef.yaml', variant(base.indirect(), 'window: 02:00-04:00', 'window: 10:00-12:00'), prepared.context!).diagnostics;
    expect(relaxed.filter((d) => d.code === 'schedule-overnight')).toEqual([]);
  });
});

describe('hard rules cannot be lifted', () => {
  it('by an exemption: the exemption is invalid and the finding stays an error', async () => {
    const { context } = await prepareLint({ catalogue: referenceCatalogue(), today: TODAY });
    const text = variant(
      variant(
        base.indirect(),
        '        justification: Blood pressure control is a core measure of hypertension care.\n',
        '        justification: Blood pressure control is a core measure of hypertension care.\n      - name: note\n        value: comment\n        justification: The reading context matters for the measure.\n',
      ),
      'datasets:\n',
      `exemptions:\n${exemptionYaml({ rule: 'no-free-text', code_set: undefined, justification: 'The comment holds the context of the reading.' })}datasets:\n`,
    );
    const errors = lintDefinitionText('x.exdef.yaml', text, context!).diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.code, d.message])).toEqual([
      ['exemption-valid', '`no-free-text` is a hard rule: no exemption can lift it'],
      ['no-free-text', '`comment` is free text, which is never extracted (field blood_pressure.note)'],
    ]);
  });

  it('a valid exemption of a rule that is not hard turns its finding into information that says so', async () => {
    const { context } = await prepareLint({ catalogue: referenceCatalogue(), today: TODAY });
    const text = variant(
      variant(base.indirect(), "    where: code in << 75367002 |Blood pressure| and effective_date >= today() - interval '2 years'", '    where: code in << 86406008'),
      'datasets:\n',
      `exemptions:\n${exemptionYaml({ justification: 'Surveillance of communicable disease.' })}datasets:\n`,
    );
    const findings = lintDefinitionText('x.exdef.yaml', text, context!).diagnostics.filter((d) => d.code === 'sensitive-codes');
    expect(findings.map((d) => d.severity)).toEqual(['info']);
    expect(findings[0]!.message).toMatch(/— exempted: Surveillance of communicable disease\.$/);
  });
});

describe('what exemptions may waive is the policy\'s to say (exemptable)', () => {
  it('the default policy allows only the sensitive code sets, and the Type 1 override under a notice', () => {
    expect(loadPolicy(ruleCatalogue).policy!.exemptable).toEqual([
      { rule: 'sensitive-codes', reference: 'any' },
      { rule: 'type1-opt-out', reference: 'notice' },
    ]);
  });

  it('an organisation cannot make a governance, use case, schedule, justification, identifier, exemption or hard rule exemptable', () => {
    const rules = ['governance-complete', 'supported-use-case', 'schedule-at-most-daily', 'justification-meaningful', 'direct-identifiers-need-basis', 'exemption-valid', 'no-free-text', 'review-current'];
    const { path, starts } = policyFile('forbidden.yaml', `policy: 1\nexemptable:\n${rules.map((r) => `  ⟦${r}:\n    reference: notice\n`).join('')}`);
    const { policy, diagnostics } = loadPolicy(ruleCatalogue, path);
    expect(policy).toBeUndefined();
    expect(diagnostics.map((d) => [d.code, at(d)])).toEqual(starts.map((s) => ['policy-exemptable-forbidden', s]));
    expect(diagnostics[0]!.message).toBe('`governance-complete` cannot be made exemptable: governance paperwork is what a reviewer relies on');
  });

  it('an organisation can narrow it, not widen it: a rule the default does not allow, a notice relaxed, more code sets', () => {
    const { path, starts } = policyFile(
      'widen.yaml',
      'policy: 1\nexemptable:\n  ⟦registration-permanent:\n    reference: any\n  type1-opt-out:\n    reference: ⟦any\n  sensitive-codes:\n    reference: any\n    code_sets: [hiv_sti, ⟦hiv]\n',
    );
    const { policy, diagnostics } = loadPolicy(ruleCatalogue, path);
    expect(policy).toBeUndefined();
    expect(diagnostics.map((d) => [d.code, at(d)])).toEqual([
      ['policy-exemptable-widened', starts[0]],
      ['policy-exemptable-widened', starts[1]],
      ['policy-exemptable-code-sets', starts[2]],
    ]);
  });

  it('code_sets belongs to sensitive-codes only', () => {
    const { path, starts } = policyFile('sets.yaml', 'policy: 1\nexemptable:\n  type1-opt-out:\n    reference: notice\n    ⟦code_sets: [hiv_sti]\n');
    expect(loadPolicy(ruleCatalogue, path).diagnostics.map((d) => [d.code, at(d)])).toEqual([['policy-exemptable-code-sets', starts[0]]]);
  });

  it('a narrowed policy makes an exemption it no longer allows invalid, and the finding stays an error', async () => {
    const { path } = policyFile('narrow.yaml', 'policy: 1\nexemptable:\n  sensitive-codes:\n    reference: notice\n    code_sets: [sexuality]\n');
    const prepared = await prepareLint({ catalogue: referenceCatalogue(), today: TODAY, policyFile: path });
    expect(prepared.diagnostics).toEqual([]);
    expect(prepared.context!.policy.exemptable).toEqual([{ rule: 'sensitive-codes', reference: 'notice', codeSets: ['sexuality'] }]);
    const text = withExemptions(
      variant(base.indirect(), "    where: code in << 75367002 |Blood pressure| and effective_date >= today() - interval '2 years'", '    where: code in << 86406008'),
      exemptionYaml({ legal_basis: { ...VALID_BASIS } }),
    );
    const errors = lintDefinitionText('x.exdef.yaml', text, prepared.context!).diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.code, d.message])).toEqual([
      ['exemption-valid', 'the policy does not let an exemption release `hiv_sti` (only sexuality)'],
      ['exemption-valid', 'an exemption from `sensitive-codes` is valid only under a statutory notice (legal_basis.notice); an approval is not enough'],
      ['sensitive-codes', expect.stringMatching(/asks for HIV status/)],
    ]);
  });
});

describe('the default policy file itself', () => {
  it('is valid against its schema', () => {
    expect(readFileSync(resources.defaultPolicy, 'utf8')).toContain('policy: 1');
    expect(loadPolicy(ruleCatalogue).diagnostics).toEqual([]);
  });
});
