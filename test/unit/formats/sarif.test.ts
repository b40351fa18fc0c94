import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exdefTool, formatLintResults } from '../../../src/diagnostics/formats/index.js';
import { formatSarif } from '../../../src/diagnostics/formats/sarif.js';
import { RULES } from '../../../src/policy/rules/index.js';
import { RULE_DOCS_DIR } from '../../../src/policy/rule-docs.js';
import { context, CWD, HOSTILE, RESULTS, review, sensitive, span, validateSarif } from './sample-results.js';

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region: Record<string, number> } }[];
  partialFingerprints: Record<string, string>;
}
interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string; markdown: string };
  helpUri?: string;
  defaultConfiguration: { level: string };
  properties: Record<string, unknown>;
}
interface SarifLog {
  $schema: string;
  version: string;
  runs: {
    tool: { driver: { name: string; version: string; informationUri?: string; rules: SarifRule[] } };
    originalUriBaseIds: Record<string, { uri: string }>;
    results: SarifResult[];
  }[];
}

const parse = (text: string) => JSON.parse(text) as SarifLog;

describe('SARIF format', () => {
  const log = parse(formatSarif(RESULTS, context()));
  const run = log.runs[0]!;
  const byRule = (id: string) => run.results.filter((r) => r.ruleId === id);

  it('validates against the official SARIF 2.1.0 schema', () => {
    const { valid, errors } = validateSarif(log);
    expect(errors).toBeNull();
    expect(valid).toBe(true);
  });

  it('the vendored schema does reject what is not SARIF 2.1.0', () => {
    const broken = parse(formatSarif(RESULTS, context())) as unknown as { runs: { results: { level: string }[] }[] };
    broken.runs[0]!.results[0]!.level = 'fatal';
    expect(validateSarif(broken).valid).toBe(false);
    expect(validateSarif({ version: '2.0.0', runs: [] }).valid).toBe(false);
  });

  it('also validates when there are no results, hostile text, and a path outside the working directory', () => {
    expect(validateSarif(parse(formatSarif([], context()))).valid).toBe(true);
    const outside = formatSarif([{ file: '/elsewhere/x y#1.exdef', diagnostics: [{ ...sensitive, span: span('/elsewhere/x y#1.exdef', 1, 1) }] }], context());
    expect(validateSarif(parse(outside)).errors).toBeNull();
    expect(parse(outside).runs[0]!.results[0]!.locations[0]!.physicalLocation.artifactLocation).toEqual({ uri: 'file:///elsewhere/x%20y%231.exdef' });
  });

  it('is one run of exdef with its version, schema and %SRCROOT%', () => {
    expect(log.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    expect(run.tool.driver).toMatchObject({ name: 'exdef', version: '0.1.0' });
    expect(run.originalUriBaseIds).toEqual({ '%SRCROOT%': { uri: `file://${CWD}/` } });
  });

  it('describes every policy rule, then the other codes that occur', () => {
    const ids = run.tool.driver.rules.map((r) => r.id);
    expect(ids).toEqual([...RULES.map((r) => r.meta.id), 'syntax-error']);
    const rule = run.tool.driver.rules.find((r) => r.id === 'sensitive-codes')!;
    const meta = RULES.find((r) => r.meta.id === 'sensitive-codes')!.meta;
    expect(rule.name).toBe('SensitiveCodes');
    expect(rule.shortDescription.text).toBe(meta.description);
    expect(rule.fullDescription.text).toContain(meta.rationale);
    expect(rule.help.text).toContain(meta.triggers);
    expect(rule.help.markdown).toContain('**Why.**');
    expect(rule.defaultConfiguration.level).toBe('error');
    expect(rule.properties).toMatchObject({ category: 'sensitive-codes', 'problem.severity': 'error' });
    expect(rule.helpUri).toBeUndefined();
    const review = run.tool.driver.rules.find((r) => r.id === 'review-current')!;
    expect(review.defaultConfiguration.level).toBe('warning');
    const syntax = run.tool.driver.rules.find((r) => r.id === 'syntax-error')!;
    expect(syntax.shortDescription.text).toMatch(/syntax error/);
    expect(syntax.properties['category']).toBe('parse');
    expect(syntax.defaultConfiguration.level).toBe('error');
  });

  it('links rule pages and the home page when the tool knows them', () => {
    const tool = { name: 'exdef', version: '1.2.3', informationUri: 'https://example.org/exdef', rulesBaseUri: 'https://example.org/exdef/docs/rules/' };
    const linked = parse(formatSarif(RESULTS, context({ tool })));
    expect(linked.runs[0]!.tool.driver.informationUri).toBe('https://example.org/exdef');
    expect(linked.runs[0]!.tool.driver.rules[0]!.helpUri).toBe(`https://example.org/exdef/docs/rules/${RULES[0]!.meta.id}.md`);
    expect(validateSarif(linked).valid).toBe(true);
  });

  it('gives each result its rule index, level, message with hints and region', () => {
    expect(run.results).toHaveLength(6);
    for (const result of run.results) expect(run.tool.driver.rules[result.ruleIndex]!.id).toBe(result.ruleId);
    const [s] = byRule('sensitive-codes');
    expect(s!.level).toBe('error');
    expect(s!.message.text).toBe(`${sensitive.message}\nhint: ${sensitive.hints![0]}\nhint: ${sensitive.hints![1]}`);
    expect(s!.locations).toEqual([
      {
        physicalLocation: {
          artifactLocation: { uri: 'definitions/a.exdef.yaml', uriBaseId: '%SRCROOT%' },
          region: { startLine: 12, startColumn: 14, endLine: 12, endColumn: 40 },
        },
      },
    ]);
    expect(byRule('review-current')[0]!.level).toBe('warning');
    expect(byRule('review-current')[0]!.locations[0]!.physicalLocation.region).toEqual({ startLine: 28, startColumn: 18, endLine: 30, endColumn: 3 });
    expect(byRule('disclosure-risk')[0]!.level).toBe('note');
    expect(byRule('syntax-error')[0]!.locations[0]!.physicalLocation.artifactLocation.uri).toBe('definitions/b.exdef');
    expect(byRule('justification-meaningful')[0]!.message.text).toBe(`${HOSTILE}\nhint: ${HOSTILE}`);
  });

  it('places a finding without a span on its file, since GitHub rejects results without a location', () => {
    for (const result of run.results) {
      expect(result.locations.length).toBeGreaterThan(0);
      expect(['definitions/a.exdef.yaml', 'definitions/b.exdef']).toContain(result.locations[0]!.physicalLocation.artifactLocation.uri);
      expect(result.locations[0]!.physicalLocation.region['startLine']).toBeGreaterThanOrEqual(1);
    }
    expect(byRule('governance-complete')[0]!.locations[0]!.physicalLocation).toEqual({
      artifactLocation: { uri: 'definitions/a.exdef.yaml', uriBaseId: '%SRCROOT%' },
      region: { startLine: 1 },
    });
  });

  it('makes paths relative to the working directory with forward slashes, and encodes them as URIs', () => {
    const abs = formatSarif([{ file: `${CWD}/defs/my file%.exdef`, diagnostics: [{ ...review, span: span(`${CWD}/defs/my file%.exdef`, 2, 3) }] }], context());
    expect(parse(abs).runs[0]!.results[0]!.locations[0]!.physicalLocation.artifactLocation).toEqual({ uri: 'defs/my%20file%25.exdef', uriBaseId: '%SRCROOT%' });
  });

  it('fingerprints a finding by rule, file and message: stable when it moves, distinct when repeated', () => {
    const fingerprint = (line: number, times = 1) =>
      parse(formatSarif([{ file: 'a.exdef', diagnostics: Array.from({ length: times }, (_, i) => ({ ...review, span: span('a.exdef', line + i * 10, 1) })) }], context()))
        .runs[0]!.results.map((r) => r.partialFingerprints['exdefFinding/v1']);
    expect(fingerprint(5)).toEqual(fingerprint(50));
    const twice = fingerprint(5, 2);
    expect(new Set(twice).size).toBe(2);
    expect(twice[0]).toBe(fingerprint(5)[0]);
  });

  it('is deterministic', () => {
    expect(formatSarif(RESULTS, context())).toBe(formatSarif(RESULTS, context()));
  });
});

describe('SARIF that code scanning maps (issue 12, item 8)', () => {
  it("exdef's own SARIF names its home on the driver and each policy rule's docs/rules page", () => {
    const log = parse(formatLintResults('sarif', RESULTS, { cwd: CWD, repositoryRoot: CWD }));
    const driver = log.runs[0]!.tool.driver;
    expect(driver.informationUri).toMatch(/^(https|file):\/\//);
    for (const meta of RULES.map((r) => r.meta)) {
      const rule = driver.rules.find((r) => r.id === meta.id)!;
      expect(rule.helpUri, meta.id).toMatch(new RegExp(`/docs/rules/${meta.id}\\.md$`));
      // Without a published repository in package.json the link is the page that ships with exdef.
      if (rule.helpUri!.startsWith('file:')) expect(existsSync(fileURLToPath(rule.helpUri!)), rule.helpUri).toBe(true);
    }
    if (!exdefTool().rulesBaseUri) expect(exdefTool().installedRulesBaseUri).toBeDefined();
    expect(validateSarif(log).errors).toBeNull();
  });

  it("every other code (syntax, format, names, duplicate ids) links to its entry on the codes page, and says what it reports", () => {
    const codes = ['yaml-syntax', 'misspelt-keyword', 'unescaped-quote', 'duplicate-definition-id'];
    const results = [{ file: 'a.exdef', syntax: 'exdef' as const, diagnostics: codes.map((code) => ({ ...review, code, stage: 'parse' as const, span: span('a.exdef', 2, 1) })) }];
    const log = parse(formatLintResults('sarif', results, { cwd: CWD, repositoryRoot: CWD }));
    const page = readFileSync(join(RULE_DOCS_DIR, 'codes.md'), 'utf8');
    for (const code of codes) {
      const rule = log.runs[0]!.tool.driver.rules.find((r) => r.id === code)!;
      expect(rule.helpUri, code).toMatch(new RegExp(`/docs/rules/codes\\.md#${code}$`));
      expect(page, code).toContain(`### ${code}\n`);
    }
    const duplicate = log.runs[0]!.tool.driver.rules.find((r) => r.id === 'duplicate-definition-id')!;
    expect(duplicate.fullDescription.text).toContain('It reports: the definition id `‹id›` is also the id of ‹other›');
    expect(validateSarif(log).errors).toBeNull();
  });

  it('makes paths relative to the git top level (%SRCROOT%), whatever the working directory', () => {
    const top = mkdtempSync(join(tmpdir(), 'exdef-sarif-'));
    try {
      mkdirSync(join(top, '.git'));
      mkdirSync(join(top, 'definitions', 'nested'), { recursive: true });
      const cwd = join(top, 'definitions');
      const results = [{ file: 'nested/a.exdef.yaml', syntax: 'yaml' as const, diagnostics: [{ ...sensitive, span: span(join(cwd, 'nested/a.exdef.yaml'), 3, 5) }] }, { file: 'b.exdef', syntax: 'exdef' as const, diagnostics: [{ ...review, span: undefined }] }];
      const log = parse(formatLintResults('sarif', results, { cwd }));
      const run = log.runs[0]!;
      expect(run.originalUriBaseIds).toEqual({ '%SRCROOT%': { uri: pathToFileURL(top).href + '/' } });
      expect(run.results.map((r) => r.locations[0]!.physicalLocation.artifactLocation)).toEqual([
        { uri: 'definitions/nested/a.exdef.yaml', uriBaseId: '%SRCROOT%' },
        { uri: 'definitions/b.exdef', uriBaseId: '%SRCROOT%' },
      ]);
      expect(validateSarif(log).errors).toBeNull();
      // From a directory outside the repository, the files' git top level is still the root.
      const elsewhere = mkdtempSync(join(tmpdir(), 'exdef-sarif-elsewhere-'));
      try {
        const away = parse(formatLintResults('sarif', [{ ...results[0]!, file: join(cwd, 'nested/a.exdef.yaml') }], { cwd: elsewhere }));
        expect(away.runs[0]!.originalUriBaseIds).toEqual({ '%SRCROOT%': { uri: pathToFileURL(top).href + '/' } });
        expect(away.runs[0]!.results[0]!.locations[0]!.physicalLocation.artifactLocation).toEqual({ uri: 'definitions/nested/a.exdef.yaml', uriBaseId: '%SRCROOT%' });
      } finally {
        rmSync(elsewhere, { recursive: true, force: true });
      }
      // Outside git, the working directory is the root.
      const outside = mkdtempSync(join(tmpdir(), 'exdef-sarif-plain-'));
      try {
        const plain = parse(formatLintResults('sarif', [{ ...results[1]!, file: 'b.exdef' }], { cwd: outside }));
        if (!existsSync(join(tmpdir(), '.git')) && !existsSync('/.git')) {
          expect(plain.runs[0]!.originalUriBaseIds['%SRCROOT%']!.uri).toBe(pathToFileURL(outside).href + '/');
          expect(plain.runs[0]!.results[0]!.locations[0]!.physicalLocation.artifactLocation.uri).toBe('b.exdef');
        }
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    } finally {
      rmSync(top, { recursive: true, force: true });
    }
  });
});
