import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { lintDefinitionText, prepareLint, type LintContext } from '../../../src/pipeline/lint-definition.js';
import { applyExample } from '../../../src/policy/rule-examples.js';
import { RULE_DOCS_DIR, ruleDocs } from '../../../src/policy/rule-docs.js';
import { rulesIndexSource } from '../../../src/policy/rule-index.js';
import { RULES } from '../../../src/policy/rules/index.js';
import { packageRoot } from '../../../src/resources.js';
import { TODAY } from '../../support/rule-tester.js';

/** How the project's own notes name the source texts: seed files, their paths, the design brief's file. */
const INTERNAL_REFERENCE = /\bseeds? ?\/?0\d\d|seeds\/|\b00\d_[0-9a-f]{16}|DESIGN\.md/i;

let context: LintContext;
beforeAll(async () => {
  context = (await prepareLint({ catalogue: referenceCatalogue(), today: TODAY })).context!;
});

describe('rule meta', () => {
  it('covers every policy item of DESIGN.md with the hard rules it names', () => {
    expect(RULES.filter((r) => r.meta.hard).map((r) => r.meta.id).sort()).toEqual(['confidential-never', 'no-control-columns', 'no-control-tables', 'no-documents', 'no-free-text', 'pds-sensitive-never']);
    expect(RULES.length).toBeGreaterThanOrEqual(20);
  });

  it('the rule pages and the default policy cite the policy by name, never an internal file', () => {
    const pages = readdirSync(join(packageRoot, 'docs', 'rules')).map((f) => join(packageRoot, 'docs', 'rules', f));
    for (const file of [...pages, join(packageRoot, 'src', 'policy', 'default.policy.yaml')]) expect(readFileSync(file, 'utf8'), file).not.toMatch(INTERNAL_REFERENCE);
  });

  it.each(RULES.map((r) => [r.meta.id, r] as const))('%s: id matches its file, and its meta is complete', (id, rule) => {
    expect(id).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
    expect(readFileSync(join(packageRoot, 'src', 'policy', 'rules', `${id}.ts`), 'utf8')).toContain(`id: '${id}'`);
    for (const text of [rule.meta.description, rule.meta.rationale, rule.meta.source, rule.meta.triggers]) expect(text.length).toBeGreaterThan(10);
    // The policy and the standard by their names, never internal files (issue 12, item 10).
    expect(rule.meta.rationale).toMatch(/IM1 Data Protection Policy|IM1 Bulk Extract guide|IM1 Interface Mechanism Standard|exdef design brief/);
    for (const text of [rule.meta.description, rule.meta.rationale, rule.meta.source, rule.meta.triggers]) expect(text).not.toMatch(INTERNAL_REFERENCE);
    expect(Object.keys(rule.meta.messages).length).toBeGreaterThan(0);
    if (rule.meta.hard) expect(rule.meta.defaultSeverity).toBe('error');
  });

  it.each(RULES.map((r) => [r.meta.id, r] as const))('%s: the failing example triggers it and the passing one does not', (id, rule) => {
    const failing = lintDefinitionText('failing.exdef.yaml', applyExample(rule.meta.examples.failing), context).diagnostics;
    expect(failing.filter((d) => d.code === id && d.severity !== 'info').length, `${id} failing example: ${failing.map((d) => `${d.code}: ${d.message}`).join('; ')}`).toBeGreaterThan(0);
    const passing = lintDefinitionText('passing.exdef.yaml', applyExample(rule.meta.examples.passing), context).diagnostics;
    expect(passing.filter((d) => d.severity !== 'info').map((d) => `${d.code}: ${d.message}`), `${id} passing example`).toEqual([]);
  });
});

describe('generated from the meta', () => {
  it('src/policy/rules/index.ts lists every rule module, sorted (npm run generate)', () => {
    expect(readFileSync(join(packageRoot, 'src', 'policy', 'rules', 'index.ts'), 'utf8')).toBe(rulesIndexSource());
    const ids = RULES.map((r) => r.meta.id);
    expect(ids).toEqual([...ids].sort());
  });

  it('docs/rules/ has an up-to-date page per rule and an index (npm run generate)', () => {
    for (const [file, text] of ruleDocs()) expect(readFileSync(join(RULE_DOCS_DIR, file), 'utf8'), file).toBe(text);
  });
});
