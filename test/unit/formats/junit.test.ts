import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { formatJunit, xmlAttribute, xmlText } from '../../../src/diagnostics/formats/junit.js';
import { context, HOSTILE, RESULTS, review, sensitive } from './sample-results.js';

interface TestCase {
  '@_name': string;
  '@_classname': string;
  '@_file': string;
  failure?: { '@_message': string; '@_type': string; '#text': string };
  'system-out'?: string;
}
interface TestSuite {
  '@_name': string;
  '@_tests': string;
  '@_failures': string;
  '@_errors': string;
  testcase: TestCase[];
}
interface Report {
  testsuites: { '@_name': string; '@_tests': string; '@_failures': string; '@_errors': string; testsuite: TestSuite[] };
}

/** Parses JUnit XML strictly enough for CI: well-formed, entities decoded, arrays kept as arrays. */
function parseJunit(xml: string): Report {
  expect(XMLValidator.validate(xml)).toBe(true);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    htmlEntities: true,
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: false,
    isArray: (name) => name === 'testsuite' || name === 'testcase',
  });
  return parser.parse(xml) as Report;
}

/** Characters XML 1.0 forbids. */
const ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

describe('JUnit format', () => {
  const xml = formatJunit(RESULTS, context());
  const report = parseJunit(xml);
  const suites = report.testsuites.testsuite;

  it('is well-formed XML with an XML declaration and no character XML forbids', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')).toBe(true);
    expect(xml).not.toMatch(ILLEGAL);
  });

  it('has one testsuite per file and one testcase per rule that found something there', () => {
    expect(suites.map((s) => s['@_name'])).toEqual(['definitions/a.exdef.yaml', 'definitions/b.exdef', 'definitions/clean.exdef.yaml']);
    const a = suites[0]!;
    expect(a.testcase.map((t) => t['@_name'])).toEqual(['disclosure-risk', 'governance-complete', 'justification-meaningful', 'review-current', 'sensitive-codes']);
    for (const t of a.testcase) {
      expect(t['@_classname']).toBe('definitions/a.exdef.yaml');
      expect(t['@_file']).toBe('definitions/a.exdef.yaml');
    }
  });

  it('counts tests and failures per suite and in total; a clean file has one passing testcase', () => {
    expect(suites.map((s) => [s['@_tests'], s['@_failures'], s['@_errors']])).toEqual([
      ['5', '3', '0'],
      ['1', '1', '0'],
      ['1', '0', '0'],
    ]);
    expect(report.testsuites['@_tests']).toBe('7');
    expect(report.testsuites['@_failures']).toBe('4');
    const clean = suites[2]!.testcase;
    expect(clean).toHaveLength(1);
    expect(clean[0]!['@_name']).toBe('exdef lint');
    expect(clean[0]!.failure).toBeUndefined();
  });

  it('reports errors as failures with the finding, its hints and the rule', () => {
    const s = suites[0]!.testcase.find((t) => t['@_name'] === 'sensitive-codes')!;
    expect(s.failure!['@_type']).toBe('error');
    expect(s.failure!['@_message']).toBe(`12:14: ${sensitive.message}`);
    expect(s.failure!['#text']).toContain(`definitions/a.exdef.yaml:12:14 error ${sensitive.message} [sensitive-codes]`);
    expect(s.failure!['#text']).toContain(`  hint: ${sensitive.hints![1]}`);
    expect(s.failure!['#text']).toContain('exdef explain sensitive-codes');
    const syntax = suites[1]!.testcase[0]!;
    expect(syntax['@_name']).toBe('syntax-error');
    expect(syntax.failure!['@_message']).toMatch(/^3:1: expected FROM/);
  });

  it('reports warnings and information as passing testcases with the findings in system-out', () => {
    const r = suites[0]!.testcase.find((t) => t['@_name'] === 'review-current')!;
    expect(r.failure).toBeUndefined();
    expect(r['system-out']).toContain(review.message);
    expect(suites[0]!.testcase.find((t) => t['@_name'] === 'disclosure-risk')!.failure).toBeUndefined();
  });

  it('fails warnings too when there are more than --max-warnings, as the exit code does', () => {
    const over = parseJunit(formatJunit(RESULTS, context({ maxWarnings: 0 })));
    const r = over.testsuites.testsuite[0]!.testcase.find((t) => t['@_name'] === 'review-current')!;
    expect(r.failure!['@_type']).toBe('warning');
    expect(over.testsuites['@_failures']).toBe('5');
    const within = parseJunit(formatJunit(RESULTS, context({ maxWarnings: 1 })));
    expect(within.testsuites['@_failures']).toBe('4');
  });

  it('groups repeated findings of a rule in one testcase', () => {
    const twice = parseJunit(formatJunit([{ file: 'x.exdef', diagnostics: [sensitive, { ...sensitive, span: { ...sensitive.span!, start: { offset: 1, line: 2, column: 3 } } }] }], context()));
    const [t] = twice.testsuites.testsuite[0]!.testcase;
    expect(twice.testsuites.testsuite[0]!['@_tests']).toBe('1');
    expect(t!.failure!['@_message']).toMatch(/^2 findings; first at 2:3: /);
  });

  it('escapes markup and quotes, and replaces characters XML cannot carry', () => {
    const h = suites[0]!.testcase.find((t) => t['@_name'] === 'justification-meaningful')!;
    const readable = HOSTILE.replace(/[\u0000\u001b]/g, '\uFFFD');
    expect(h.failure!['@_message']).toBe(`60:7: ${readable}`);
    expect(h.failure!['#text']).toContain(readable);
    const file = 'defs/<a&b> "q" \'s\'\u0001.exdef';
    const odd = formatJunit([{ file, diagnostics: [{ ...sensitive, code: 'x"><y', span: undefined }] }], context());
    expect(odd).not.toMatch(ILLEGAL);
    const parsed = parseJunit(odd).testsuites.testsuite[0]!;
    expect(parsed['@_name']).toBe(file.replace('\u0001', '\uFFFD'));
    expect(parsed.testcase[0]!['@_name']).toBe('x"><y');
    expect(parsed.testcase[0]!.failure!['@_message']).toBe(`file: ${sensitive.message}`);
  });

  it('escapes text and attributes', () => {
    expect(xmlText('a<b>&c\u0000\uD800')).toBe('a&lt;b&gt;&amp;c\uFFFD\uFFFD');
    expect(xmlText('🚑')).toBe('🚑');
    expect(xmlAttribute('"\'\n\t')).toBe('"&quot;&apos;&#10;&#9;"');
  });
});
