import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lexer } from 'yaml';
import { describe, expect, it } from 'vitest';
import { exdefLexer } from '../../../grammar/tokens.js';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { CARE_TYPES, careTypeOf, scaffold, USE_CASES, type Syntax } from '../../../src/init/scaffold.js';
import { fingerprint } from '../../../src/ir/fingerprint.js';
import { parseDefinitionText } from '../../../src/parse/parse-definition.js';
import { printExdef } from '../../../src/print/print-exdef.js';
import { printYaml } from '../../../src/print/print-yaml.js';
import { resolveDefinition } from '../../../src/resolve/resolve-definition.js';
import { packageRoot, resources } from '../../../src/resources.js';

/**
 * `exdef fmt` (issue 12, item 3): the shipped definitions are formatted, and formatting keeps
 * every comment (count and text), keeps the meaning (the same fingerprint), and is idempotent.
 */

const catalogue = referenceCatalogue();

/** What `exdef fmt` writes for a file (the command calls exactly these). */
function format(file: string, text: string): string {
  const parsed = parseDefinitionText(file, text);
  expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const printable = { ...parsed, document: parsed.document! };
  return parsed.syntax === 'exdef' ? printExdef(printable) : printYaml(printable);
}

/** The text of every comment of a file, one entry per comment line, sorted. */
function commentTexts(file: string, text: string): string[] {
  if (file.endsWith('.exdef')) {
    const comments = (exdefLexer.tokenize(text).groups['comments'] ?? []) as { image: string }[];
    return comments
      .flatMap((c) =>
        c.image.startsWith('--')
          ? [c.image.slice(2).trim()]
          : c.image
              .slice(2, -2)
              .split(/\r?\n/)
              .map((l) => l.trim())
              .filter((l) => l !== ''),
      )
      .sort();
  }
  return [...new Lexer().lex(text)]
    .filter((token) => token.startsWith('#'))
    .map((token) => token.slice(1).trim())
    .sort();
}

function meaning(file: string, text: string): string {
  const resolved = resolveDefinition(parseDefinitionText(file, text), catalogue);
  expect(resolved.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return fingerprint(resolved.definition!);
}

function expectFormattingKeepsEverything(file: string, text: string): void {
  const once = format(file, text);
  expect(commentTexts(file, once), `${file}: comments`).toEqual(commentTexts(file, text));
  expect(meaning(file, once), `${file}: meaning`).toBe(meaning(file, text));
  expect(format(file, once), `${file}: idempotent`).toBe(once);
}

const definitionsDir = resources.definitions;
const shipped = readdirSync(definitionsDir)
  .filter((f) => f.endsWith('.exdef') || f.endsWith('.exdef.yaml'))
  .map((f) => join(definitionsDir, f));
const fixtureDirs = ['test/fixtures/exemptions', 'test/fixtures/report'].map((d) => join(packageRoot, d));
const fixtures = fixtureDirs.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.exdef.yaml') || f.endsWith('.exdef')).map((f) => join(d, f)));
/** The YAML contract examples of the brief, where this machine has them. */
const examplesDir = '/work/shared/examples';
const examples = existsSync(examplesDir) ? readdirSync(examplesDir).filter((f) => f.endsWith('.exdef.yaml')).map((f) => join(examplesDir, f)) : [];

describe('the shipped definitions are formatted (fmt --check definitions/ passes)', () => {
  it.each(shipped)('%s', (file) => {
    const text = readFileSync(file, 'utf8');
    expect(format(file, text)).toBe(text);
  });

  it('every shipped YAML definition carries the schema modeline', () => {
    for (const file of shipped.filter((f) => f.endsWith('.yaml'))) {
      expect(readFileSync(file, 'utf8').split('\n')[0], file).toBe('# yaml-language-server: $schema=../schema/exdef.schema.json');
    }
  });
});

describe('fmt keeps every comment and the meaning, and is idempotent', () => {
  it.each([...shipped, ...fixtures, ...examples])('%s', (file) => {
    expectFormattingKeepsEverything(file, readFileSync(file, 'utf8'));
  });

  const scaffolds = USE_CASES.flatMap((useCase) => (['yaml', 'exdef'] as Syntax[]).map((syntax) => [useCase, syntax] as const));
  it.each(scaffolds)('exdef init --use-case %s --syntax %s', (useCase, syntax) => {
    expect(CARE_TYPES).toContain(careTypeOf(useCase));
    const text = scaffold({ id: 'asthma-review', title: 'Asthma review', organisation: 'Example ICB', contact: 'ig@example.nhs.uk', useCase, careType: careTypeOf(useCase), practices: ['A81001', 'A81002'], mode: 'full', syntax, schemaPath: '../schema/exdef.schema.json' });
    const file = `asthma-review.${syntax === 'exdef' ? 'exdef' : 'exdef.yaml'}`;
    expect(commentTexts(file, text).length).toBeGreaterThan(20);
    // The scaffold's placeholders do not lint, but they parse and resolve: meaning is comparable.
    expectFormattingKeepsEverything(file, text);
  });

  const phm = readFileSync(join(definitionsDir, 'phm-warehouse.exdef.yaml'), 'utf8');

  it('keeps YAML comments before keys, at line ends, in lists, at the end of maps and of the document', () => {
    const text = phm
      .replace('id: phm-warehouse\n', 'id: phm-warehouse # the output name\n')
      .replace('population:\n', 'population:\n  # agreed with the practices\n')
      .replace('  practices: [A81001, A81002, A81003]\n', '  practices: [A81001, A81002, A81003]\n  # where: age_years(date_of_birth) >= 18\n')
      .replace('datasets:\n', 'datasets:\n  # the first dataset\n')
      .replace('    fields:\n', '    fields:\n      # the first field\n')
      .concat('# end of the document\n#\n# really the end\n');
    const once = format('x.exdef.yaml', text);
    expect(once).toContain('id: phm-warehouse # the output name\n');
    expect(once).toContain('population:\n  # agreed with the practices\n  registration:');
    expect(once).toContain('  # where: age_years(date_of_birth) >= 18\n\nmode:');
    expect(once).toContain('datasets:\n  # the first dataset\n  - name: people');
    expect(once.endsWith('# end of the document\n#\n# really the end\n')).toBe(true);
    expectFormattingKeepsEverything('x.exdef.yaml', text);
  });

  it('keeps exdef-language comments at line ends, inside statements and after the last one', () => {
    const exdef = readFileSync(join(definitionsDir, 'phm-warehouse.exdef'), 'utf8');
    const text = exdef
      .replace('EXDEF 1;\n', 'EXDEF 1; -- the format\n/* a block\n   comment */\n')
      .replace('MODE ', '-- every night\nMODE ')
      .concat('-- the end\n');
    const once = format('x.exdef', text);
    expect(once).toContain('-- the format\n-- a block\n-- comment\nEXTRACT phm-warehouse');
    expect(once.endsWith('-- the end\n')).toBe(true);
    expectFormattingKeepsEverything('x.exdef', text);
  });

  it('never splits a code set across lines: a long expression is a literal block broken only between operands', () => {
    const long = "code in << 73211009 |Diabetes mellitus| or code in << 38341003 |Hypertensive disorder| or code in << 195967001 |Asthma| or code in << 13645005 |Chronic obstructive lung disease|";
    const text = phm.replace(/    where: \|-\n      code in \(<< 73211009[^\n]*\n/, `    where: ${long}\n`);
    const once = format('x.exdef.yaml', text);
    for (const concept of ['<< 73211009 |Diabetes mellitus|', '<< 38341003 |Hypertensive disorder|', '<< 195967001 |Asthma|', '<< 13645005 |Chronic obstructive lung disease|']) {
      expect(once.split('\n').some((line) => line.includes(concept)), concept).toBe(true);
    }
    expect(once).toContain('    where: |-\n      code in << 73211009 |Diabetes mellitus|\n      or code in << 38341003');
    expectFormattingKeepsEverything('x.exdef.yaml', text);
  });
});
