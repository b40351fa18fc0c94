import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cstTypings, syntaxDiagrams } from '../../../grammar/generate.js';
import { ExdefParser } from '../../../grammar/parser.js';
import { packageRoot } from '../../../src/resources.js';

describe('the grammar', () => {
  it('passes all of Chevrotain\'s grammar validations (the CLI skips them at start-up)', () => {
    expect(() => new ExdefParser({ validate: true })).not.toThrow();
  });
});

describe('generated grammar artefacts', () => {
  it('grammar/cst.d.ts matches the parser (run `npm run generate` after changing grammar/)', () => {
    expect(readFileSync(join(packageRoot, 'grammar', 'cst.d.ts'), 'utf8')).toBe(cstTypings());
  });

  it('grammar/diagrams.html matches the parser and is self-contained', () => {
    const committed = readFileSync(join(packageRoot, 'grammar', 'diagrams.html'), 'utf8');
    expect(committed).toBe(syntaxDiagrams());
    expect(committed).not.toMatch(/<script src=|<link rel='stylesheet' href=/);
  });
});
