import { describe, expect, it } from 'vitest';
import { formatMarkdown, markdownCell } from '../../../src/diagnostics/formats/markdown.js';
import { context, RESULTS, review, sensitive } from './sample-results.js';

/** The cells of a GitHub table row: split on pipes that are not escaped (as GitHub does). */
function cells(row: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < row.length; i++) {
    const ch = row[i]!;
    if (ch === '\\' && i + 1 < row.length) {
      current += ch + row[i + 1];
      i++;
    } else if (ch === '|') {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.slice(1, -1).map((c) => c.trim());
}

describe('Markdown format', () => {
  const md = formatMarkdown(RESULTS, context());
  const lines = md.trimEnd().split('\n');
  const rows = lines.filter((l) => l.startsWith('| ') && !l.startsWith('| location'));

  it('has a heading, the counts and a table with one row per finding, errors first', () => {
    expect(lines[0]).toBe('## exdef lint');
    expect(md).toContain('❌ 3 definition files checked: **4 errors, 1 warning, 1 info**');
    expect(md).toContain('| location | severity | rule | message |\n|---|---|---|---|');
    expect(rows).toHaveLength(6);
    expect(rows.map((r) => cells(r)[1])).toEqual(['❌ error', '❌ error', '❌ error', '❌ error', '⚠️ warning', 'ℹ️ info']);
    expect(cells(rows.find((r) => r.includes('sensitive-codes'))!)).toEqual(['definitions/a.exdef.yaml:12:14', '❌ error', 'sensitive-codes', `${sensitive.message}<br>hint: ${sensitive.hints![0]}<br>hint: ${sensitive.hints![1]}`]);
    expect(rows.some((r) => cells(r)[0] === 'definitions/a.exdef.yaml' && cells(r)[2] === 'governance-complete')).toBe(true);
  });

  it('keeps every row at four cells whatever the message holds: | and line breaks are escaped', () => {
    for (const row of rows) expect(cells(row)).toHaveLength(4);
    const hostile = rows.find((r) => r.includes('justification-meaningful'))!;
    expect(hostile).not.toMatch(/[\r\n]/);
    expect(cells(hostile)[3]).toContain('line one<br>line two<br>100% sure: a,b \\| c::d %0A &lt;tag attr="v"&gt; &amp;');
  });

  it('escapes cells', () => {
    expect(markdownCell('a|b')).toBe('a\\|b');
    expect(markdownCell('a\\|b')).toBe('a\\\\\\|b');
    expect(markdownCell('one\ntwo\r\nthree\rfour')).toBe('one<br>two<br>three<br>four');
    expect(markdownCell('<script>&')).toBe('&lt;script&gt;&amp;');
    expect(markdownCell('x'.repeat(5000))).toHaveLength(1000);
  });

  it('says so when there are no problems', () => {
    expect(formatMarkdown([{ file: 'a.exdef', diagnostics: [] }, { file: 'b.exdef', diagnostics: [] }], context())).toBe('## exdef lint\n\n✅ No problems found in 2 definition files.\n');
  });

  it('caps a long table with a note', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ ...review, message: `finding ${i}` }));
    const capped = formatMarkdown([{ file: 'a.exdef', diagnostics: many }], context(), 10);
    expect(capped.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| location'))).toHaveLength(10);
    expect(capped).toContain('… and 20 more findings not shown');
  });

  it('links the rule page when the tool knows where rule docs are', () => {
    const linked = formatMarkdown(RESULTS, context({ tool: { name: 'exdef', version: '1', rulesBaseUri: 'https://example.org/rules/' } }));
    expect(linked).toContain('[sensitive-codes](https://example.org/rules/sensitive-codes.md)');
    expect(linked).toContain('| syntax-error |');
  });
});
