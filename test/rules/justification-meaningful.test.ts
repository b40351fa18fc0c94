import { base, testRule, variant } from '../support/rule-tester.js';

const phm = base.indirect();
const sexJustified = (text: string) => variant(phm, 'justification: Prevalence and risk models differ by sex.', `justification: ${text}`);

testRule('justification-meaningful', {
  valid: [
    { name: 'specific justifications', text: phm },
    { name: 'a justification that names a placeholder word later on', text: sexJustified("'Risk models differ by sex (see the TODO list of the model team).'") },
    { name: 'a justification that mentions a stock phrase within a real reason', text: sexJustified("'Needed for analysis: prevalence and risk models differ by sex.'") },
  ],
  invalid: [
    { name: 'a stock phrase', text: sexJustified('⟦Needed for analysis.'), findings: [{ message: /^the justification of `people.sex` \("Needed for analysis."\) is a stock phrase/ }] },
    { name: 'a stock phrase in other case and punctuation', text: sexJustified('⟦BUSINESS NEED!!'), findings: [{ message: /stock phrase/ }] },
    { name: 'n/a is a placeholder, not an abbreviation', text: sexJustified('⟦n/a'), findings: [{ message: /still a placeholder \("n\/a"\)/ }] },
    { name: 'too short', text: sexJustified('⟦For risk.'), findings: [{ message: /too short/ }] },
    { name: 'a TODO placeholder, as exdef init writes it', text: sexJustified("⟦'TODO: why is sex needed for the use case?'"), findings: [{ message: /^the justification of `people.sex` is still a placeholder \("TODO: why is sex needed for the use case\?"\)$/ }] },
    { name: 'an angle-bracket placeholder', text: sexJustified("⟦'<why this field is needed>'"), findings: [{ message: /still a placeholder/ }] },
    { name: 'blank', text: sexJustified("⟦'   '"), findings: [{ message: /has no justification/ }] },
  ],
});
