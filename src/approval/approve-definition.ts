import { catalogueIdentity } from '../catalogue/catalogue-digest.js';
import type { Catalogue } from '../catalogue/catalogue.js';
import { hasErrors } from '../diagnostics/diagnostic.js';
import { ExdefError } from '../failure.js';
import { definitionDigest, fingerprint } from '../ir/fingerprint.js';
import { checkDefinitionFile } from '../pipeline/check-definition.js';
import { parseIsoDate } from '../seed/calendar.js';
import { writeSignedRecord, type Approval, type Revocation } from './approval-file.js';
import { latestExpiry, APPROVAL_MONTHS, type ApprovedDefinition } from './approval-status.js';
import { recipientDigest } from './recipient.js';
import type { SigningKey } from './sshsig.js';

/** What a practice approves of a definition file: its identity, fingerprint, digest, review date and practices. */
export interface DefinitionToApprove extends ApprovedDefinition {
  title: string;
  reviewed: string | undefined;
  practices: string[];
}

/** Reads the definition (parsed and resolved against the catalogue; lint is not needed to name it). */
export function definitionToApprove(file: string, catalogue: Catalogue): DefinitionToApprove {
  const checked = checkDefinitionFile(file, { catalogue });
  if (!checked.definition || hasErrors(checked.diagnostics)) {
    const first = checked.diagnostics.find((d) => d.severity === 'error');
    const where = first?.span ? `${first.span.file}:${first.span.start.line}:${first.span.start.column}: ` : '';
    throw new ExdefError(`${where}${first?.message ?? `${file} cannot be read`} (fix the definition, lint it, then approve it)`, { exitCode: 1, step: 'definition' });
  }
  const d = checked.definition;
  const recipient = recipientDigest(file, d);
  return {
    id: d.id,
    version: d.version,
    title: d.title,
    fingerprint: fingerprint(d),
    digest: definitionDigest(d),
    ...(recipient ? { recipient } : {}),
    catalogue: catalogueIdentity(catalogue),
    reviewed: d.review.lastReviewed,
    practices: [...d.population.practices],
  };
}

export interface ApproveOptions {
  definition: DefinitionToApprove;
  practice: string;
  by: string;
  role: string;
  key: SigningKey;
  directory: string;
  /** The last day the approval holds (default, and at most: three months after the review, or after now when the review is dated later). */
  expires?: string;
  /** When it is signed (approved_at). */
  now: Date;
  /** The date the review and --expires are judged on (YYYY-MM-DD; default: now's date). */
  today?: string;
}

/**
 * Signs and writes the approval of `practice` for exactly this definition. Refused: a practice
 * not in the definition, a definition never reviewed or whose review is over three months old,
 * an expiry after the review's three months or before today. A review dated after the signing day
 * counts from the signing day (latestExpiry): the approval still lasts three months at most.
 */
export function approveDefinition(o: ApproveOptions): { file: string; approval: Approval } {
  const d = o.definition;
  checkPractice(d, o.practice);
  checkPerson(o.by, o.role);
  if (!d.reviewed) {
    throw new ExdefError(`${d.id} has no review.last_reviewed: an approval expires with the IG review, so the definition is reviewed before it is approved`, { exitCode: 1, step: 'approve' });
  }
  const today = o.today ?? o.now.toISOString().slice(0, 10);
  const signedOn = o.now.toISOString().slice(0, 10);
  const latest = latestExpiry(d.reviewed, signedOn);
  // Three months after what: the review, or the signing day when the review is dated after it.
  const cycle = signedOn < d.reviewed ? `${APPROVAL_MONTHS} months after today, ${signedOn} (the review is dated ${d.reviewed}, in the future)` : `${APPROVAL_MONTHS} months after the review of ${d.reviewed}`;
  if (latest < today) {
    if (signedOn < d.reviewed) throw new ExdefError(`an approval signed today would end on ${latest}, ${cycle}: before --today ${today}`, { exitCode: 2, step: 'approve' });
    throw new ExdefError(`${d.id} was last reviewed on ${d.reviewed}, more than ${APPROVAL_MONTHS} months ago: review it (and update review.last_reviewed) before approving it`, { exitCode: 1, step: 'approve' });
  }
  let expires = latest;
  if (o.expires !== undefined) {
    if (parseIsoDate(o.expires) === undefined) throw new ExdefError(`--expires must be a date written YYYY-MM-DD, not ${JSON.stringify(o.expires)}`, { exitCode: 2 });
    if (o.expires > latest) throw new ExdefError(`--expires ${o.expires} is after ${latest}, ${cycle}: an approval ends with the review cycle`, { exitCode: 2, step: 'approve' });
    if (o.expires < today) throw new ExdefError(`--expires ${o.expires} is in the past`, { exitCode: 2, step: 'approve' });
    expires = o.expires;
  }
  const approval: Approval = {
    kind: 'approval',
    definition: d.id,
    version: d.version,
    title: d.title,
    fingerprint: d.fingerprint,
    digest: d.digest,
    practice: o.practice,
    approvedBy: o.by,
    role: o.role,
    approvedAt: o.now.toISOString(),
    reviewed: d.reviewed,
    expires,
    ...(d.recipient ? { recipient: d.recipient } : {}),
    ...(d.catalogue ? { catalogue: d.catalogue.name, catalogueDigest: d.catalogue.digest } : {}),
  };
  return { file: writeSignedRecord(o.directory, approval, o.key), approval };
}

/** Signs and writes a revocation: every approval of the definition by the practice signed before now stops holding from the next run. */
export function revokeApprovals(o: Omit<ApproveOptions, 'expires'> & { reason?: string }): { file: string; revocation: Revocation } {
  checkPractice(o.definition, o.practice);
  checkPerson(o.by, o.role);
  const revocation: Revocation = {
    kind: 'revocation',
    definition: o.definition.id,
    practice: o.practice,
    revokedBy: o.by,
    role: o.role,
    revokedAt: o.now.toISOString(),
    ...(o.reason ? { reason: o.reason } : {}),
  };
  return { file: writeSignedRecord(o.directory, revocation, o.key), revocation };
}

function checkPractice(d: DefinitionToApprove, practice: string): void {
  if (!/^[A-Z][A-Z0-9]{2,7}$/.test(practice)) throw new ExdefError(`--practice ${JSON.stringify(practice)} is not an ODS code (e.g. A81001)`, { exitCode: 2 });
  if (!d.practices.includes(practice)) throw new ExdefError(`--practice ${practice} is not a practice of ${d.id} (${d.practices.join(', ')})`, { exitCode: 2, step: 'approve' });
}

function checkPerson(by: string, role: string): void {
  for (const [flag, value] of [['--by', by], ['--role', role]] as const) {
    // eslint-disable-next-line no-control-regex
    if (value.trim() === '' || /[\u0000-\u001f\u007f]/.test(value)) throw new ExdefError(`${flag} must name a person or role on one line`, { exitCode: 2 });
  }
}
