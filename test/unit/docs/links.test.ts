import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deadLinks, headingAnchors, markdownFiles } from '../../../src/docs/check-links.js';
import { packageRoot } from '../../../src/resources.js';

describe('documentation links', () => {
  it('docs/ and the README have no dead links (files and #headings)', () => {
    const files = markdownFiles([join(packageRoot, 'docs'), join(packageRoot, 'README.md')]);
    expect(files.length).toBeGreaterThan(5);
    expect(deadLinks(files, packageRoot)).toEqual([]);
  });

  it('finds a missing file, a missing heading and ignores code and external links', () => {
    const dir = mkdtempSync(join(tmpdir(), 'exdef-links-'));
    try {
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'sub', 'b.md'), '# Title B\n\n## Running in production\n\n## Running in production\n');
      writeFileSync(
        join(dir, 'a.md'),
        [
          '# A',
          'See [b](sub/b.md), [prod](sub/b.md#running-in-production), [again](sub/b.md#running-in-production-1).',
          'Broken: [gone](missing.md) and [bad anchor](sub/b.md#nowhere) and [self](#no-such-heading).',
          '`[not a link](nowhere.md)` and https://example.org and [web](https://example.org/x.md).',
          '```',
          '[in code](also-missing.md)',
          '```',
          '[self ok](#a)',
        ].join('\n'),
      );
      const dead = deadLinks(markdownFiles([dir]), dir);
      expect(dead.map((d) => `${d.file}:${d.line} ${d.target}`)).toEqual(['a.md:3 missing.md', 'a.md:3 sub/b.md#nowhere', 'a.md:3 #no-such-heading']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("computes GitHub's anchors", () => {
    expect([...headingAnchors('## `population.where` — Population filter\n### exists()\n## A, b & c\n## A, b & c')]).toEqual([
      'populationwhere--population-filter',
      'exists',
      'a-b--c',
      'a-b--c-1',
    ]);
  });
});
