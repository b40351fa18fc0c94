/**
 * The governance of a full, weekly, indirect-care definition over three practices (an ICB's
 * population health management), lint-clean, for tests that write only its datasets.
 */
export function indirectCareDefinition(o: { id: string; title: string; singlingOut: string; linkability: string; datasets: string }): string {
  return `exdef: 1
id: ${o.id}
title: ${o.title}
version: 1
owner: { organisation: Test ICB, contact: ig@example-icb.nhs.uk }
use_case: data_warehouse
care_type: indirect
intended_use: Population health planning of long-term conditions across the ICB's practices.
legal_basis:
  article_6: 6(1)(e) public task
  article_9: 9(2)(h) management of health care systems
  statement: Indirect care under the ICB's population health management programme.
dpia: DPIA-2026-099
risk:
  singling_out: ${o.singlingOut}
  linkability: ${o.linkability}
review: { last_reviewed: 2026-09-15, reviewer: ICB Data Protection Officer }
population:
  registration: permanent
  deceased: exclude
  type1_opt_out: respect
  on_opt_back_in: no_backfill
  practices: [A81001, A81002, A81003]
mode: full
schedule: { frequency: weekly }
output: { csv: { delimiter: ',', quote: '"', header: true, line_ending: lf }, layout: single_zip }
datasets:
${o.datasets}`;
}
