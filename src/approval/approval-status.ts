import type { CatalogueIdentity } from '../catalogue/catalogue-digest.js';
import { addMonths } from '../seed/calendar.js';
import { basename } from 'node:path';
import { keyValidity, signersOfKey, trustingSigners, type AllowedSigner } from './allowed-signers.js';
import { APPROVAL_NAMESPACE, type Approval, type Revocation, type SignedRecordFile } from './approval-file.js';

/** An approval holds for at most this many months after the definition's review (the IM1 3-monthly review). */
export const APPROVAL_MONTHS = 3;

/**
 * The last day an approval of a definition reviewed on `reviewed` may hold; signed on `approvedOn`
 * (YYYY-MM-DD), three months after the earlier of the two: a review dated in the future (a typo, or
 * a date moved on to stretch the cycle) never makes an approval last longer than three months.
 */
export function latestExpiry(reviewed: string, approvedOn?: string): string {
  return addMonths(approvedOn !== undefined && approvedOn < reviewed ? approvedOn : reviewed, APPROVAL_MONTHS);
}

/** The definition a run or a listing judges approvals against. */
export interface ApprovedDefinition {
  id: string;
  version: number;
  fingerprint: string;
  digest: string;
  /** sha256 of the recipient certificate the definition encrypts to (recipient.ts); none when unencrypted. */
  recipient?: string | undefined;
  /** The catalogue the run reads the definition through (catalogue-digest.ts); unchecked when absent (a listing without one). */
  catalogue?: CatalogueIdentity | undefined;
}

export type ApprovalState = 'valid' | 'expired' | 'revoked' | 'other-fingerprint' | 'other-version' | 'untrusted' | 'invalid';

/** One file of the approvals directory, judged. */
export interface ApprovalStatus {
  file: string;
  kind: 'approval' | 'revocation' | 'unknown';
  state: ApprovalState;
  /** One line: why the state (the date, the revocation, the key). */
  reason: string;
  definition?: string;
  version?: number;
  practice?: string;
  by?: string;
  role?: string;
  at?: string;
  expires?: string;
  /** The signing key's SHA256 fingerprint and the allowed_signers comment naming it, when trusted. */
  signer?: string;
  /**
   * Why a revocation file cannot be read or verified: the practice's approvals of the definition it
   * names (by its record, else by its file name) do not hold until it can be (fail closed).
   */
  unverifiedRevocation?: string;
}

/** A practice of the definition, and whether a run may extract it. */
export interface PracticeDecision {
  practice: string;
  approved: boolean;
  /** Why not (one line), or which approval holds. */
  reason: string;
  approval?: string;
}

/**
 * Every approval and revocation file, judged for `definition` (undefined: for their own
 * definition, as `exdef approvals` lists a directory) on `date` (YYYY-MM-DD, the run's extract date):
 *
 * - `invalid`: the file is not a complete record, or does not match its signature (any byte changed);
 *   an invalid revocation leaves its practice out of runs of its definition (`unverifiedRevocation`);
 * - `untrusted`: signed by a key allowed_signers does not trust for the record's practice (at `now`:
 *   a key's valid-after / valid-before are judged on the clock, as `ssh-keygen -Y verify` does);
 * - `revoked`: a trusted revocation of the same definition and practice was signed after it;
 * - `other-fingerprint`: it approves another fingerprint (the data changed: needs a new approval);
 * - `other-version`: same data, but another version or wording (governance, review date) of it;
 * - `expired`: `date` is after its last day;
 * - `valid`: none of these.
 * A revocation file is `valid` (it takes effect), `untrusted` (correctly signed by a key not trusted
 * for the practice: anyone could make one, so it is ignored) or `invalid` (it cannot be read or
 * verified: it might be genuine, so its practice is left out until it can be); its key is judged
 * without the dates of its allowed_signers line (valid-after / valid-before).
 */
export function judgeRecords(files: readonly SignedRecordFile[], signers: readonly AllowedSigner[], date: string, definition?: ApprovedDefinition, now: Date = new Date()): ApprovalStatus[] {
  // A revocation only ever takes data away: it counts whenever its key is trusted for the practice,
  // whatever the key's valid-after / valid-before say of `date` (a deputy's key that has since
  // expired, or a run whose --today is before the key was added, never revives what it revoked).
  const undated = signers.map(({ validAfter: _after, validBefore: _before, ...rest }) => rest as AllowedSigner);
  const trusted = (f: SignedRecordFile) =>
    f.signature && f.record && trustingSigners(f.record.kind === 'revocation' ? undated : signers, f.signature.publicKey, f.record.practice, APPROVAL_NAMESPACE, now)[0];
  const revocations = files.filter((f): f is SignedRecordFile & { record: Revocation } => !f.problem && f.record?.kind === 'revocation' && Boolean(trusted(f)));
  return files.map((f): ApprovalStatus => {
    const record = f.record;
    const named = record ? undefined : namedByFile(f.file);
    const base: ApprovalStatus = {
      file: f.file,
      kind: record?.kind ?? named?.kind ?? 'unknown',
      state: 'invalid',
      reason: '',
      ...(record ? { definition: record.definition, practice: record.practice, role: record.role } : named?.definition ? { definition: named.definition, practice: named.practice } : {}),
      ...(record?.kind === 'approval' ? { version: record.version, by: record.approvedBy, at: record.approvedAt, expires: record.expires } : {}),
      ...(record?.kind === 'revocation' ? { by: record.revokedBy, at: record.revokedAt } : {}),
    };
    if (f.problem || !record || !f.signature) {
      const problem = `the file ${f.problem ?? 'cannot be read'}`;
      if (base.kind === 'revocation' && base.practice && base.definition) {
        return { ...base, state: 'invalid', unverifiedRevocation: f.problem ?? 'cannot be read', reason: `${problem}: it may be ${base.practice}'s genuine revocation, so runs of ${base.definition} leave ${base.practice} out until it can be verified` };
      }
      return { ...base, state: 'invalid', reason: `${problem}: it is ignored` };
    }
    const signer = trusted(f);
    if (!signer) return { ...base, state: 'untrusted', reason: untrustedReason(signers, f.signature, record.practice, now) };
    const signed = { ...base, signer: `${f.signature.fingerprint}${signer.comment ? ` (${signer.comment})` : ''}` };
    if (record.kind === 'revocation') return { ...signed, state: 'valid', reason: `revokes ${record.practice}'s approvals of ${record.definition} signed before ${record.revokedAt}` };
    const revoked = revocations.find((r) => r.record.definition === record.definition && r.record.practice === record.practice && r.record.revokedAt > record.approvedAt);
    if (revoked) return { ...signed, state: 'revoked', reason: `on ${revoked.record.revokedAt.slice(0, 10)} by ${revoked.record.revokedBy} (${revoked.record.role})` };
    if (record.expires > latestExpiry(record.reviewed, record.approvedAt.slice(0, 10))) {
      const from = record.approvedAt.slice(0, 10) < record.reviewed ? `its signing on ${record.approvedAt.slice(0, 10)} (the review of ${record.reviewed} is later)` : `the review of ${record.reviewed}`;
      return { ...signed, state: 'invalid', reason: `its expiry ${record.expires} is more than ${APPROVAL_MONTHS} months after ${from}` };
    }
    const wanted = definition && definition.id === record.definition ? definition : undefined;
    if (wanted && wanted.fingerprint !== record.fingerprint) {
      return { ...signed, state: 'other-fingerprint', reason: `approves version ${record.version} (fingerprint ${record.fingerprint.slice(0, 12)}), not this definition's data (version ${wanted.version}, fingerprint ${wanted.fingerprint.slice(0, 12)})` };
    }
    if (wanted && (wanted.digest !== record.digest || wanted.version !== record.version)) {
      return { ...signed, state: 'other-version', reason: `approves version ${record.version} (digest ${record.digest.slice(0, 12)}), not version ${wanted.version} (digest ${wanted.digest.slice(0, 12)}): the texts or the review changed` };
    }
    if (wanted && (wanted.recipient ?? null) !== (record.recipient ?? null)) {
      const named = (digest: string | undefined) => (digest ? `the recipient certificate ${digest.slice(0, 12)}` : 'no encryption');
      return { ...signed, state: 'other-version', reason: `approves delivery to ${named(record.recipient)}, not to ${named(wanted.recipient)}: the recipient changed` };
    }
    if (wanted?.catalogue && wanted.catalogue.digest !== record.catalogueDigest) {
      const reason = record.catalogueDigest
        ? `approves reading the data through the catalogue ${record.catalogue ?? '(unnamed)'} (sha256 ${record.catalogueDigest.slice(0, 12)}), not ${wanted.catalogue.name} (sha256 ${wanted.catalogue.digest.slice(0, 12)}): the catalogue changed what the definition's fields and guards read`
        : `names no catalogue (signed by an earlier exdef): it holds for none, so ${record.practice} approves again`;
      return { ...signed, state: 'other-version', reason };
    }
    if (date > record.expires) return { ...signed, state: 'expired', reason: `its last day was ${record.expires}` };
    return { ...signed, state: 'valid', reason: `approved by ${record.approvedBy} (${record.role}) on ${record.approvedAt.slice(0, 10)}, until ${record.expires}` };
  });
}

/** Why a correctly signed record's key does not count for the practice: no line, or a line whose dates exclude now. */
function untrustedReason(signers: readonly AllowedSigner[], signature: { publicKey: string; fingerprint: string }, practice: string, now: Date): string {
  const line = signersOfKey(signers, signature.publicKey, practice, APPROVAL_NAMESPACE)[0];
  if (!line) return `its key ${signature.fingerprint} is not trusted for ${practice} in allowed_signers`;
  const validity = keyValidity(line, now);
  return validity === 'not-yet-valid'
    ? `its key ${signature.fingerprint} is not yet valid for ${practice}: line ${line.line} of allowed_signers says valid-after="${line.validAfter}"`
    : `its key ${signature.fingerprint} has expired for ${practice}: line ${line.line} of allowed_signers says valid-before="${line.validBefore}"`;
}

/**
 * What an unreadable file claims by its name, as writeSignedRecord() names records:
 * DEFINITION.PRACTICE[.vN].YYYYMMDDTHHMMSSZ[-n].approval|revocation.
 */
function namedByFile(file: string): { kind: 'approval' | 'revocation'; definition?: string; practice?: string } | undefined {
  const name = basename(file);
  const kind = name.endsWith('.revocation') ? 'revocation' : name.endsWith('.approval') ? 'approval' : undefined;
  if (!kind) return undefined;
  const match = /^(.+)\.([A-Z][A-Z0-9]{2,7})(?:\.v\d+)?\.\d{8}T\d{6}Z(?:-\d+)?\.(?:approval|revocation)$/.exec(name);
  return match ? { kind, definition: match[1]!, practice: match[2]! } : { kind };
}

/** Which way a practice's approvals point, most telling first, when none is valid. */
const PRECEDENCE: ApprovalState[] = ['revoked', 'expired', 'other-fingerprint', 'other-version', 'untrusted', 'invalid'];

/** What a run's log and manifest say of a practice left out, by the state of its approval. */
const LABEL: Record<ApprovalState, string> = {
  valid: 'approved',
  revoked: 'approval revoked',
  expired: 'approval expired',
  'other-fingerprint': 'approved a different fingerprint',
  'other-version': 'approved a different version',
  untrusted: 'approval signed by an untrusted key',
  invalid: 'approval invalid or tampered',
};

/**
 * For each practice of the definition: left out while a revocation of it cannot be read or
 * verified (it may be genuine: fail closed); else approved when some approval of exactly this
 * definition is valid on `date`; otherwise left out, with the reason of its most telling approval
 * (revoked, expired, another fingerprint or version, an untrusted or tampered file) or "no approval".
 */
export function decidePractices(definition: Pick<ApprovedDefinition, 'id'>, practices: readonly string[], statuses: readonly ApprovalStatus[]): PracticeDecision[] {
  return practices.map((practice) => {
    const unverified = statuses.find((s) => s.unverifiedRevocation && s.practice === practice && s.definition === definition.id);
    if (unverified) return { practice, approved: false, reason: `a revocation that cannot be verified: ${unverified.file}: ${unverified.unverifiedRevocation}`, approval: unverified.file };
    const own = statuses.filter((s) => s.kind !== 'revocation' && s.practice === practice && s.definition === definition.id);
    const valid = own.filter((s) => s.state === 'valid').sort((a, b) => (b.at ?? '').localeCompare(a.at ?? ''))[0];
    if (valid) return { practice, approved: true, reason: valid.reason, approval: valid.file };
    for (const state of PRECEDENCE) {
      const latest = own.filter((s) => s.state === state).sort((a, b) => (b.at ?? '').localeCompare(a.at ?? ''))[0];
      if (latest) return { practice, approved: false, reason: `${LABEL[state]}: ${latest.reason}`, approval: latest.file };
    }
    return { practice, approved: false, reason: 'no approval' };
  });
}
