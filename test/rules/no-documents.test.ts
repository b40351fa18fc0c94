import { base, testRule, variant } from '../support/rule-tester.js';
import { bloodPressureField, populationWhere } from './hard-rules.fixtures.js';

const letters = (value: string) =>
  variant(base.indirect(), /datasets:\n[\s\S]*$/, `datasets:\n  - name: letters\n    from: ⟦document\n    fields:\n      - name: letter\n        value: ${value}\n        justification: The specialist service needs the letters themselves.\n`);

testRule('no-documents', {
  valid: [
    { name: 'no documents at all', text: base.indirect() },
    { name: 'a coded record, not a document, says what happened', text: populationWhere('exists(referrals where urgency = \'urgent\')') },
  ],
  invalid: [
    {
      name: 'document content as a field',
      text: letters('⟦content'),
      findings: [{ message: /^dataset letters reads `document`, a document table/ }, { message: /^`content` is a document, which is never extracted \(field letters.letter\)$/ }],
    },
    { name: 'only the dates of documents', text: letters('month(document_date)'), findings: [{ message: /^dataset letters reads `document`, a document table: no row of it is extracted/ }] },
    {
      name: 'document content in a filter',
      text: populationWhere('exists(⟦documents where ⟦content is not null)'),
      findings: [{ message: /^exists\(documents\) tests `document`, a document table/ }, { message: /`documents.content` is a document, which cannot be used in a filter/ }],
    },
    { name: 'whether a patient has documents, as a field', text: bloodPressureField('has_letters', 'exists(⟦patient.documents)'), findings: [{ message: /exists\(patient.documents\) tests `document`/ }] },
  ],
});
