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

/**
 * The date a run (and `exdef approvals`, `exdef report`) judges approvals on: the extract date, or
 * the clock's date when that is later. An approval that has expired by the clock stays expired
 * whatever --today says: a past --today judges the population and today() filters, and never
 * widens what a run may extract (as with exemptions, lint-definition.ts's exemptionDate). It is
 * the date approvals' expiry is judged on, never the keys': allowed_signers' valid-after /
 * valid-before are judged on the clock itself (approvalStatuses' `now`), so a future --today never
 * brings forward a key the provider trusts only from a later time.
 */
export function approvalDate(extractDate: string, now: Date = new Date()): string {
  const clock = now.toISOString().slice(0, 10);
  return clock > extractDate ? clock : extractDate;
}

/** Every approval and revocation in the provider's directory, judged on `date` (for `definition` when given), its keys at `now`. */
export function approvalStatuses(source: ApprovalSource, date: string, definition?: ApprovedDefinition, now: Date = new Date()): ApprovalStatus[] {
  return judgeRecords(readSignedRecords(source.directory), readAllowedSigners(source.allowedSigners), date, definition, now);
}

/**
 * The practices a run of `definition` on `date` may extract, in the order given: those with a
 * valid approval of exactly this definition; the others with the reason they are left out (an
 * unverifiable revocation of the practice among them).
 */
export function approvedPractices(source: ApprovalSource, definition: ApprovedDefinition, practices: readonly string[], date: string, now: Date = new Date()): { practices: string[]; excluded: ExcludedPractice[] } {
  const decisions = decidePractices(definition, practices, approvalStatuses(source, date, definition, now));
  return {
    practices: decisions.filter((d) => d.approved).map((d) => d.practice),
    excluded: decisions.filter((d) => !d.approved).map((d) => ({ practice: d.practice, reason: d.reason })),
  };
}
