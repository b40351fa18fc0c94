import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resources } from '../../src/resources.js';
import { base, testRule, variant, INDIRECT_BASE } from '../support/rule-tester.js';

const phm = base.indirect();

testRule('governance-complete', {
  valid: [
    { name: 'the shipped warehouse feed', text: phm },
    { name: 'the shipped CHIS feed', text: base.direct() },
    { name: 'a statement that mentions a placeholder word later on', text: variant(phm, 'dpia: DPIA-2026-031', 'dpia: DPIA-2026-031 (replaces the TODO list of 2025)') },
    { name: 'the CHIS feed in the exdef language', text: readFileSync(join(resources.definitions, 'chis-immunisations.exdef'), 'utf8'), syntax: 'exdef' },
  ],
  invalid: [
    {
      name: 'no DPIA (reported at the governance block)',
      text: variant(variant(phm, 'dpia: DPIA-2026-031\n', ''), 'use_case: data_warehouse', '⟦use_case: data_warehouse'),
      findings: [{ message: /^the governance of this extract is missing the DPIA reference \(dpia\)$/ }],
    },
    {
      name: 'no linkability statement (reported at the risk block)',
      text: variant(variant(phm, /  linkability: >-\n(    [^\n]*\n)+/, ''), 'risk:', '⟦risk:'),
      findings: [{ message: /missing a statement on the risk of linkability/ }],
    },
    { name: 'a blank intended use', text: variant(phm, /intended_use: >-\n[^\n]*\n[^\n]*\n/, "intended_use: ⟦'  '\n"), findings: [{ message: /missing the intended use of the data/ }] },
    { name: 'a TODO placeholder for the DPIA, as exdef init writes it', text: variant(phm, 'dpia: DPIA-2026-031', "dpia: ⟦'TODO: the DPIA reference'"), findings: [{ message: /^the governance of this extract has a placeholder for the DPIA reference \(dpia\): "TODO: the DPIA reference"$/ }] },
    { name: 'an angle-bracket placeholder for the linkability statement', text: variant(phm, /  linkability: >-\n(    [^\n]*\n)+/, "  linkability: ⟦'<what can it be linked with?>'\n"), findings: [{ message: /placeholder for a statement on the risk of linkability/ }] },
    { name: 'a lower-case tbd reviewer', text: variant(phm, 'reviewer: ICB Data Protection Officer', 'reviewer: ⟦tbd'), findings: [{ message: /placeholder for who reviewed it/ }] },
    { name: 'no reviewer', text: variant(variant(phm, '  reviewer: ICB Data Protection Officer\n', ''), 'review:', '⟦review:'), findings: [{ message: /who reviewed it/ }] },
    {
      name: 'no Article 9 condition and no statement',
      text: variant(phm, /legal_basis:\n  article_6: 6\(1\)\(e\) public task\n  article_9: [^\n]*\n  statement: >-\n[^\n]*\n[^\n]*\n/, '⟦⟦legal_basis:\n  article_6: 6(1)(e) public task\n'),
      findings: [{ message: /Article 9 condition/ }, { message: /statement of the legal basis/ }],
    },
    {
      name: 'in the exdef language: no DPIA',
      syntax: 'exdef',
      text: variant(variant(readFileSync(INDIRECT_BASE.exdef, 'utf8'), "  DPIA 'DPIA-2026-031'\n", ''), '  USE CASE data_warehouse', '  ⟦USE CASE data_warehouse'),
      findings: [{ message: /DPIA reference/ }],
    },
  ],
});
