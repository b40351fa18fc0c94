/**
 * Definitions written to probe the compiler's closure (tests only): an indirect-care warehouse
 * feed with the IM1 defaults, whose datasets, population filter and exemptions a test writes.
 */
export interface ProbeSpec {
  /** YAML of the `datasets` list (indented by two spaces inside). */
  datasets: string;
  /** The population `where`, as exdef text. */
  where?: string;
  practices?: string[];
  /** YAML of the `exemptions` list. */
  exemptions?: string;
  care?: 'indirect' | 'direct';
  deceased?: 'exclude' | 'include';
  mode?: 'full' | 'delta';
}

const HEADER = {
  indirect: `use_case: data_warehouse
care_type: indirect
intended_use: >-
  Probe of the compiler's population closure on synthetic data, run only inside the test.
legal_basis:
  article_6: 6(1)(e) public task
  article_9: 9(2)(h) management of health care systems
  statement: Synthetic test data only; nothing leaves the test.
dpia: DPIA-TEST-011
risk:
  singling_out: Synthetic patients only; the test compares outputs and discards them.
  linkability: Nothing is joined to the rows outside the test.
review:
  last_reviewed: 2026-11-01
  reviewer: Test Data Protection Officer`,
  direct: `use_case: direct_care_planning
care_type: direct
intended_use: >-
  Probe of the compiler's population closure for a practice's own direct care planning, on synthetic data.
legal_basis:
  article_6: 6(1)(e) public task
  article_9: 9(2)(h) provision of health care
  statement: Synthetic test data only; nothing leaves the test.
dpia: DPIA-TEST-012
risk:
  singling_out: Identifies synthetic patients by design; the test discards the rows.
  linkability: Nothing is joined to the rows.
review:
  last_reviewed: 2026-11-01
  reviewer: Test Caldicott Guardian`,
};

/** The definition text of a probe. */
export function probeDefinition(spec: ProbeSpec): string {
  const care = spec.care ?? 'indirect';
  const indent = (text: string) =>
    text
      .trim()
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n');
  return [
    'exdef: 1',
    'id: closure-probe',
    'title: Closure probe',
    'version: 1',
    'owner: { organisation: Test, contact: test@example.nhs.uk }',
    HEADER[care],
    'population:',
    '  registration: permanent',
    `  deceased: ${spec.deceased ?? 'exclude'}`,
    ...(spec.deceased === 'include' ? ['  deceased_justification: Bereavement follow-up needs the records of patients who died.'] : []),
    '  type1_opt_out: respect',
    ...(care === 'direct' ? ['  national_data_opt_out: respect'] : []),
    `  practices: [${(spec.practices ?? ['A81001']).join(', ')}]`,
    ...(spec.where ? [`  where: ${JSON.stringify(spec.where)}`] : []),
    `mode: ${spec.mode ?? 'full'}`,
    'schedule: { frequency: weekly }',
    "output: { csv: { delimiter: ',', quote: '\"', header: true, line_ending: lf }, layout: single_zip }",
    'datasets:',
    indent(spec.datasets),
    ...(spec.exemptions ? ['exemptions:', indent(spec.exemptions)] : []),
    '',
  ].join('\n');
}
