import { describe, expect, it } from 'vitest';
import { escapeData, escapeProperty, formatGithub } from '../../../src/diagnostics/formats/github.js';
import { context, CWD, HOSTILE, RESULTS, review, sensitive, span, spanless } from './sample-results.js';

/** Reads a workflow command line back as the Actions runner does (ActionCommand.TryParseV2). */
function parseCommand(line: string): { command: string; properties: Record<string, string>; data: string } {
  expect(line.startsWith('::')).toBe(true);
  const end = line.indexOf('::', 2);
  expect(end).toBeGreaterThan(2);
  const info = line.slice(2, end);
  const space = info.indexOf(' ');
  const command = space < 0 ? info : info.slice(0, space);
  const properties: Record<string, string> = {};
  if (space >= 0) {
    for (const pair of info.slice(space + 1).split(',')) {
      const eq = pair.indexOf('=');
      expect(eq).toBeGreaterThan(0);
      properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
    }
  }
  return { command, properties, data: unescapeData(line.slice(end + 2)) };
}
const unescapeData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');

describe('GitHub annotations format', () => {
  const lines = formatGithub(RESULTS, context()).trimEnd().split('\n');
  const commands = lines.filter((l) => l.startsWith('::')).map(parseCommand);

  it('writes one line per finding, then a plain summary line', () => {
    expect(commands).toHaveLength(6);
    expect(lines).toHaveLength(7);
    expect(lines.at(-1)).toBe('exdef: 3 files checked: 4 errors, 1 warning, 1 info');
    expect(formatGithub([{ file: 'a.exdef', diagnostics: [] }], context())).toBe('exdef: 1 file checked: no problems\n');
  });

  it('maps error, warning and info to ::error, ::warning and ::notice, titled with the rule', () => {
    const one = (d: typeof sensitive) => parseCommand(formatGithub([{ file: 'definitions/a.exdef.yaml', diagnostics: [d] }], context()).split('\n')[0]!);
    expect(one(sensitive).command).toBe('error');
    expect(one(review).command).toBe('warning');
    expect(one({ ...review, severity: 'info' }).command).toBe('notice');
    expect(one(sensitive).properties['title']).toBe('exdef sensitive-codes');
  });

  it('gives file, line and columns of a one-line span, and only lines of a longer one', () => {
    const s = commands.find((c) => c.properties['title'] === 'exdef sensitive-codes')!;
    expect(s.properties).toEqual({ file: 'definitions/a.exdef.yaml', line: '12', col: '14', endLine: '12', endColumn: '40', title: 'exdef sensitive-codes' });
    expect(s.data).toBe(`${sensitive.message}\nhint: ${sensitive.hints![0]}\nhint: ${sensitive.hints![1]}`);
    const r = commands.find((c) => c.properties['title'] === 'exdef review-current')!;
    expect(r.properties).toEqual({ file: 'definitions/a.exdef.yaml', line: '28', endLine: '30', title: 'exdef review-current' });
  });

  it('a finding without a span has no file property and names its file in the message', () => {
    const g = commands.find((c) => c.properties['title'] === 'exdef governance-complete')!;
    expect(g.properties).toEqual({ title: 'exdef governance-complete' });
    expect(g.data).toBe(`definitions/a.exdef.yaml: ${spanless.message}`);
  });

  it('escapes a hostile message so that it stays one command and reads back unchanged', () => {
    const h = lines.find((l) => l.includes('justification-meaningful'))!;
    expect(h).not.toMatch(/[\r\n]/);
    expect(h).toContain('100%25 sure: a,b | c::d %250A');
    expect(parseCommand(h).data).toBe(`${HOSTILE}\nhint: ${HOSTILE}`);
  });

  it('escapes hostile file paths and titles in properties', () => {
    const file = 'defs/we,ird:na%me\nx::y ü🚑.exdef';
    const out = formatGithub([{ file, diagnostics: [{ ...sensitive, code: 'odd,code:1', span: span(`${CWD}/${file}`, 1, 2, 1, 3) }] }], context());
    const [line, summary] = out.trimEnd().split('\n');
    expect(line).toMatch(/^::error file=defs\/we%2Cird%3Ana%25me%0Ax%3A%3Ay ü🚑\.exdef,line=1,col=2,endLine=1,endColumn=3,title=exdef odd%2Ccode%3A1::/);
    const parsed = parseCommand(line!);
    expect(parsed.properties['file']).toBe(file);
    expect(parsed.properties['title']).toBe('exdef odd,code:1');
    expect(summary).toMatch(/^exdef: 1 file checked/);
  });

  it('escapes data and properties as @actions/core does', () => {
    expect(escapeData('a%b\r\nc:d,e')).toBe('a%25b%0D%0Ac:d,e');
    expect(escapeProperty('a%b\r\nc:d,e')).toBe('a%25b%0D%0Ac%3Ad%2Ce');
    expect(escapeData('%0A')).toBe('%250A');
  });
});
