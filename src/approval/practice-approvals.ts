import type { ProviderConfig } from '../provider/provider-config.js';
import { readAllowedSigners } from './allowed-signers.js';
import { readSignedRecords } from './approval-file.js';
import { decidePractices, judgeRecords, type ApprovalStatus, type ApprovedDefinition } from './approval-status.js';

/** Where a provider keeps approvals and whom it trusts (provider-config.ts's `approvals`). */
export type ApprovalSource = NonNullable<ProviderConfig['approvals']>;

/** A practice a run leaves out, and why (in the run's log file and manifest). */
export interface ExcludedPractice {
  practice: string;
  reason: string;
}

/** Every approval and revocation in the provider's directory, judged on `date` (for `definition` when given). */
export function approvalStatuses(source: ApprovalSource, date: string, definition?: ApprovedDefinition): ApprovalStatus[] {
  return judgeRecords(readSignedRecords(source.directory), readAllowedSigners(source.allowedSigners), date, definition);
}

/**
 * The practices a run of `definition` on `date` may extract, in the order given: those with a
 * valid approval of exactly this definition; the others with the reason they are left out.
 */
export function approvedPractices(source: ApprovalSource, definition: ApprovedDefinition, practices: readonly string[], date: string): { practices: string[]; excluded: ExcludedPractice[] } {
  const decisions = decidePractices(definition, practices, approvalStatuses(source, date, definition));
  return {
    practices: decisions.filter((d) => d.approved).map((d) => d.practice),
    excluded: decisions.filter((d) => !d.approved).map((d) => ({ practice: d.practice, reason: d.reason })),
  };
}
