import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { checkDefinitionText } from '../../../src/pipeline/check-definition.js';
import { resources } from '../../../src/resources.js';
import { at, marked } from '../../support/span-markers.js';

const phm = readFileSync(join(resources.definitions, 'phm-warehouse.exdef.yaml'), 'utf8');

function variant(text: string, from: string | RegExp, to: string): string {
  const next = text.replace(from, () => to);
  if (next === text) throw new Error(`variant: ${String(from)} is not in the text`);
  return next;
}

/** Checks (parse, schema, resolve) a marked text: the definition, its errors and the marker positions. */
function check(source: string) {
  const { text, starts } = marked(source);
  const started = Date.now();
  const checked = checkDefinitionText('t.exdef.yaml', text, { catalogue: referenceCatalogue() });
  return { ...checked, errors: checked.diagnostics.filter((d) => d.severity === 'error'), starts, ms: Date.now() - started };
}

describe('YAML anchors, aliases and merge keys work', () => {
  it('a justification shared through an alias', () => {
    const text = variant(
      variant(phm, 'justification: Links each diagnosis to the person.', 'justification: &links Links each record to the person it belongs to.'),
      'justification: Links each reading to the person.',
      'justification: *links',
    );
    const { definition, errors } = check(text);
    expect(errors).toEqual([]);
    const justifications = definition!.datasets.map((d) => d.fields[0]!.justification);
    expect(justifications.slice(1)).toEqual(['Links each record to the person it belongs to.', 'Links each record to the person it belongs to.']);
  });

  it("a dataset's fields merged from an anchor, with its own keys winning", () => {
    const text = variant(phm, '  - name: blood_pressure\n', '  - &bp\n    name: blood_pressure\n') + '  - <<: *bp\n    name: recent_blood_pressure\n    where: code in << 75367002 and effective_date >= today() - interval \'3 months\'\n';
    const { definition, errors } = check(text);
    expect(errors).toEqual([]);
    const merged = definition!.datasets[3]!;
    expect(merged.name).toBe('recent_blood_pressure');
    expect(merged.table).toBe('observation');
    expect(merged.fields.map((f) => f.name)).toEqual(['person_key', 'reading_code', 'value', 'reading_month']);
    expect(definition!.datasets[2]!.name).toBe('blood_pressure');
  });

  it('several anchors merged with one key: the first that has a key gives it', () => {
    const text = variant(variant(phm, '  - name: blood_pressure\n', '  - &bp\n    name: blood_pressure\n'), '  - name: long_term_conditions\n', '  - &ltc\n    name: long_term_conditions\n') + '  - <<: [*ltc, *bp]\n    name: combined\n';
    const { definition, errors } = check(text);
    expect(errors).toEqual([]);
    expect(definition!.datasets[3]!.name).toBe('combined');
    expect(definition!.datasets[3]!.fields.map((f) => f.name)).toEqual(['person_key', 'condition_code', 'diagnosis_month']);
  });

  it('an error in an aliased expression is shown in the anchor, at its column', () => {
    const text = variant(phm, "where: code in << 75367002 |Blood pressure| and effective_date >= today() - interval '2 years'", "where: &recent code in << 75367002 and effective_date >=⟦ ") + '';
    const { errors, starts } = check(text);
    expect(errors.map(at)).toEqual(starts);
  });

  it('a value written as an alias is reported where the alias is used', () => {
    const text = variant(variant(phm, 'owner:\n', 'owner: &owner\n'), 'dpia: DPIA-2026-031', 'dpia: ⟦*owner');
    const { errors, starts } = check(text);
    expect(errors.map((e) => [e.code, at(e)])).toEqual([['schema-invalid-value', starts[0]]]);
    expect(errors[0]!.message).toMatch(/`dpia` must be a string \(found a map\)/);
  });
});

describe('what a definition never needs is a clear error at its place', () => {
  it('a key written twice names the first one', () => {
    const { errors, starts } = check(variant(phm, 'dpia: DPIA-2026-031', 'dpia: DPIA-2026-031\n⟦dpia: DPIA-2026-099'));
    expect(errors.map((e) => [e.code, at(e), e.message])).toEqual([['yaml-duplicate-key', starts[0], 'the key `dpia` is written twice in this map (first on line 22); YAML keeps only one of them']]);
  });

  it('a key written twice in a flow map', () => {
    const { errors, starts } = check(variant(phm, '  csv:\n    delimiter: "|"', '  csv:\n    ⟦delimiter: "|"\n    delimiter: ","'.replace('⟦delimiter: "|"\n    delimiter', 'delimiter: "|"\n    ⟦delimiter')));
    expect(errors.map((e) => [e.code, at(e)])).toEqual([['yaml-duplicate-key', starts[0]]]);
  });

  it('two merge keys in one map', () => {
    const text = variant(phm, 'risk:\n', 'risk_a: &a { singling_out: x }\nrisk:\n  <<: *a\n  ⟦<<: *a\n');
    const { errors, starts } = check(text);
    expect(errors.filter((e) => e.code === 'yaml-duplicate-key').map(at)).toEqual(starts);
    expect(errors.find((e) => e.code === 'yaml-duplicate-key')!.hints).toEqual(['merge several anchors with one key: <<: [*first, *second]']);
  });

  for (const [tag, hint] of [
    ['!!str', "quote the value instead: '...'"],
    ['!custom', 'remove the tag'],
    ['!!binary', 'remove the tag'],
    ['!!int', 'remove the tag'],
  ] as const) {
    it(`an explicit tag ${tag}`, () => {
      const { errors, starts } = check(variant(phm, 'dpia: DPIA-2026-031', `dpia: ⟦${tag} DPIA-2026-031`));
      expect(errors.map((e) => [e.code, at(e), e.hints])).toEqual([['yaml-tag', starts[0], [hint]]]);
      expect(errors[0]!.message).toContain(`\`${tag}\``);
    });
  }

  it('an explicit tag on a collection, after an anchor', () => {
    const { errors, starts } = check(variant(phm, 'practices: [A81001, A81002, A81003]', 'practices: ⟦!!seq &p [A81001, A81002, A81003]'));
    expect(errors.map((e) => [e.code, at(e)])).toEqual([['yaml-tag', starts[0]]]);
  });

  it('a merge key whose value is not a map', () => {
    const { errors, starts } = check(variant(phm, 'risk:\n', 'risk:\n  <<: ⟦*icb\n').replace('owner:\n', 'owner:\n').replace('use_case: data_warehouse', 'use_case: data_warehouse').replace('title: Population', 'title: &icb Population'));
    expect(errors.map((e) => [e.code, at(e)])).toEqual([['yaml-merge-not-a-map', starts[0]]]);
  });

  it('a key that is a list', () => {
    const { errors, starts } = check(variant(phm, 'dpia: DPIA-2026-031', '? ⟦[dpia]\n: DPIA-2026-031'));
    expect(errors.map((e) => [e.code, at(e)])).toEqual([['yaml-complex-key', starts[0]]]);
  });

  for (const [name, key, intended, why] of [
    ['case', 'Legal_Basis', 'legal_basis', /case-sensitive/],
    ['full-width letters', 'ＬＥＧＡＬ_basis', 'legal_basis', /full-width/],
    ['a zero-width space', 'legal_basis\u200b', 'legal_basis', /zero-width space \(U\+200B\)/],
    ['a trailing space', '"legal_basis "', 'legal_basis', /space before or after/],
    ['a Cyrillic letter', 'legаl_basis', 'legal_basis', /Cyrillic "а" \(U\+0430\) that looks like "a"/],
    ['a right-to-left mark', 'dpia\u200f', 'dpia', /right-to-left mark/],
  ] as const) {
    it(`a look-alike key: ${name}`, () => {
      const written = intended === 'dpia' ? variant(phm, 'dpia: DPIA-2026-031', `⟦${key}: DPIA-2026-031`) : variant(phm, 'legal_basis:', `⟦${key}:`);
      const { errors, starts } = check(written);
      const lookAlike = errors.filter((e) => e.code === 'schema-look-alike-key');
      expect(lookAlike.map(at)).toEqual(starts);
      expect(lookAlike[0]!.message).toMatch(new RegExp(`looks like \`${intended}\` but is not`));
      expect(lookAlike[0]!.message).toMatch(why);
      // Hidden characters are shown, not printed invisibly.
      expect(lookAlike[0]!.message).not.toMatch(/[\u200b\u200f]/);
      expect(lookAlike[0]!.hints![0]).toContain(`\`${intended}\``);
    });
  }
});

describe('aliases that never end or expand without bound get limits, not a crash', () => {
  it('an alias inside its own anchor', () => {
    const { errors, starts } = check(variant(phm, 'practices: [A81001, A81002, A81003]', 'practices: &p [A81001, ⟦*p]'));
    expect(errors.map((e) => [e.code, at(e)])).toEqual([['yaml-alias-cycle', starts[0]]]);
  });

  it('a map that contains itself', () => {
    const { errors, starts } = check(variant(phm, 'review:\n', 'review: &r\n  again: ⟦*r\n'));
    expect(errors.map((e) => [e.code, at(e)])).toEqual([['yaml-alias-cycle', starts[0]]]);
  });

  it('a billion laughs', () => {
    let bomb = 'lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
    for (let i = 1; i <= 9; i++) bomb += `lol${i}: &l${i} [${Array.from({ length: 10 }, () => `*l${i - 1}`).join(', ')}]\n`;
    const { errors, ms } = check(bomb + phm);
    expect(errors.map((e) => e.code)).toEqual(['yaml-alias-expansion']);
    expect(errors[0]!.span!.start.line).toBeLessThanOrEqual(10);
    expect(ms).toBeLessThan(5000);
  });

  it('an alias used before its anchor is written', () => {
    const text = variant(variant(phm, 'practices: [A81001, A81002, A81003]', 'practices: &icb [A81001, A81002, A81003]'), 'dpia: DPIA-2026-031', 'dpia: ⟦*icb');
    const { errors, starts } = check(text);
    expect(errors.map((e) => [e.code, at(e)])).toEqual([['yaml-unknown-alias', starts[0]]]);
  });

  it('an alias to no anchor', () => {
    const { errors, starts } = check(variant(phm, 'justification: Links each reading to the person.', 'justification: ⟦*nowhere'));
    expect(errors.map((e) => [e.code, at(e)])).toEqual([['yaml-unknown-alias', starts[0]]]);
  });

  it('an anchor defined twice', () => {
    const text = variant(
      variant(phm, 'justification: Links each diagnosis to the person.', 'justification: &why Links each diagnosis to the person.'),
      'justification: Links each reading to the person.',
      'justification: ⟦&why Links each reading to the person.',
    );
    const { errors, starts } = check(text);
    expect(errors.map((e) => [e.code, at(e)])).toEqual([['yaml-anchor-redefined', starts[0]]]);
  });

  it('many honest aliases of one justification are fine', () => {
    const fields = Array.from({ length: 120 }, (_, i) => `      - name: code_${i}\n        value: code\n        justification: *why`).join('\n');
    const text = variant(phm, 'justification: Identifies the long-term condition.', 'justification: &why Identifies the long-term condition.') + `  - name: many\n    from: observation\n    fields:\n${fields}\n`;
    const { errors } = check(text);
    expect(errors.map((e) => e.code)).toEqual([]);
  });
});
