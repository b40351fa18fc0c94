import { base, testRule, variant } from '../support/rule-tester.js';
import { populationWhere } from './hard-rules.fixtures.js';

const letters = (value: string) =>
  variant(base.indirect(), /datasets:\n[\s\S]*$/, `datasets:\n  - name: letters\n    from: document\n    fields:\n      - name: letter\n        value: ${value}\n        justification: The specialist service needs the letters themselves.\n`);

testRule('no-documents', {
  valid: [{ name: 'document dates only', text: letters('month(document_date)') }],
  invalid: [
    { name: 'document content as a field', text: letters('⟦content'), findings: [{ message: /^`content` is a document, which is never extracted \(field letters.letter\)$/ }] },
    { name: 'document content in a filter', text: populationWhere('exists(documents where ⟦content is not null)'), findings: [{ message: /`documents.content` is a document, which cannot be used in a filter/ }] },
  ],
});
