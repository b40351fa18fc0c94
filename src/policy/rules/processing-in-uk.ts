import type { RuleModule } from '../rule.js';

export const processingInUk: RuleModule = {
  meta: {
    id: 'processing-in-uk',
    category: 'delivery',
    description: 'The extract is processed in the United Kingdom only.',
    rationale:
      'The IM1 Data Protection Policy: consumers must "legally guarantee that all processing and sub-processing only happens within the United Kingdom, unless an exception has been agreed with the Data Controllers" and "provide a statement that confirms all data will remain in the United Kingdom during the end-to-end data flow".',
    source: 'IM1 Data Protection Policy (Data Protection Obligations)',
    triggers: 'processing_location is elsewhere.',
    defaultSeverity: 'error',
    hard: false,
    messages: { outside: 'processing_location says the data is processed outside the United Kingdom' },
    examples: { failing: { yaml: 'processing_location: elsewhere' }, passing: { yaml: 'processing_location: uk' } },
  },
  check({ definition, report, spanAt }) {
    if (definition.processingLocation !== 'elsewhere') return;
    const span = spanAt('/processing_location');
    report({ messageId: 'outside', params: {}, ...(span ? { span } : {}), hints: ['an exception must be agreed with the data controllers and recorded as an exemption with its legal basis'] });
  },
};
