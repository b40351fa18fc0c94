import { linkSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { directoryProblem, makeDirectory } from '../execute/make-directory.js';
import { PRIVATE_DIRECTORY_MODE, PRIVATE_FILE_MODE } from '../execute/private-files.js';
import { ExdefError } from '../failure.js';
import { parseSshsig, signSshsig, verifySshsig, type ParsedSignature, type SigningKey } from './sshsig.js';

/**
 * The namespace every exdef approval and revocation is signed in: a signature made for anything
 * else (a git commit, a file signed with `-n file`) never passes as an approval.
 */
export const APPROVAL_NAMESPACE = 'exdef-approval@nhs';

/** A practice, as data controller, approves exactly one definition (its fingerprint and digest). */
export interface Approval {
  kind: 'approval';
  definition: string;
  version: number;
  title: string;
  /** fingerprint(): what the data depends on. */
  fingerprint: string;
  /** definitionDigest(): the whole definition, governance texts and review date included. */
  digest: string;
  practice: string;
  approvedBy: string;
  role: string;
  /** ISO 8601 instant (UTC). */
  approvedAt: string;
  /** review.last_reviewed of the approved definition. */
  reviewed: string;
  /** The last day the approval holds (YYYY-MM-DD): at most three months after `reviewed`. */
  expires: string;
  /** sha256 of the recipient certificate delivery is encrypted to (recipient.ts); absent when unencrypted. */
  recipient?: string;
  /**
   * The catalogue the definition is read through (catalogue-digest.ts): its name, and a sha256 of
   * its meaning. Absent only in an approval signed by an exdef before 2026-12: such an approval
   * holds for no catalogue.
   */
  catalogue?: string;
  catalogueDigest?: string;
}

/** A practice withdraws its approvals of a definition made before `revokedAt`; from the next run. */
export interface Revocation {
  kind: 'revocation';
  definition: string;
  practice: string;
  revokedBy: string;
  role: string;
  revokedAt: string;
  reason?: string;
}

export type ApprovalRecord = Approval | Revocation;

/** One file of the approvals directory, read: its record (when it parses) and its signature. */
export interface SignedRecordFile {
  file: string;
  record?: ApprovalRecord;
  /** Why the file or its signature cannot be read (tampered, truncated, missing .sig). */
  problem?: string;
  signature?: ParsedSignature;
}

const KEYS: Record<ApprovalRecord['kind'], Record<string, string>> = {
  approval: {
    definition: 'definition',
    version: 'version',
    title: 'title',
    fingerprint: 'fingerprint',
    digest: 'digest',
    practice: 'practice',
    approved_by: 'approvedBy',
    role: 'role',
    approved_at: 'approvedAt',
    reviewed: 'reviewed',
    expires: 'expires',
    recipient_certificate_sha256: 'recipient',
    catalogue: 'catalogue',
    catalogue_sha256: 'catalogueDigest',
  },
  revocation: { definition: 'definition', practice: 'practice', revoked_by: 'revokedBy', role: 'role', revoked_at: 'revokedAt', reason: 'reason' },
};

/** How exdef writes the values that are compared (timestamps as text, so they must all be alike). */
const FORMATS: Record<string, RegExp> = {
  practice: /^[A-Z][A-Z0-9]{2,7}$/,
  fingerprint: /^[0-9a-f]{64}$/,
  digest: /^[0-9a-f]{64}$/,
  approved_at: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
  revoked_at: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
  reviewed: /^\d{4}-\d\d-\d\d$/,
  expires: /^\d{4}-\d\d-\d\d$/,
  recipient_certificate_sha256: /^[0-9a-f]{64}$/,
  catalogue_sha256: /^[0-9a-f]{64}$/,
};

/** The text of a record: a short YAML document whose comment says how to check it without exdef. */
export function recordText(record: ApprovalRecord): string {
  const header = record.kind === 'approval' ? `exdef_approval: 1` : `exdef_revocation: 1`;
  const body: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(KEYS[record.kind])) {
    const value = (record as unknown as Record<string, unknown>)[field];
    if (value !== undefined) body[key] = value;
  }
  return [
    `# ${record.kind === 'approval' ? `Practice ${record.practice} approves ${record.definition} version ${record.version} as data controller` : `Practice ${record.practice} revokes its approval of ${record.definition}`}.`,
    `# Signed in the file beside it (.sig). Check it without exdef:`,
    `#   ssh-keygen -Y verify -f allowed_signers -I ${record.practice} -n ${APPROVAL_NAMESPACE} -s FILE.sig < FILE`,
    header,
    YAML.stringify(body, { lineWidth: 0 }).trimEnd(),
    '',
  ].join('\n');
}

/** Reads a record's text; a reason (string) when it is not a complete approval or revocation. */
export function parseRecord(text: string): ApprovalRecord | string {
  let document: unknown;
  try {
    document = YAML.parse(text);
  } catch {
    return 'not a YAML document';
  }
  if (!document || typeof document !== 'object') return 'not an approval or a revocation';
  const data = document as Record<string, unknown>;
  const kind = data['exdef_approval'] === 1 ? 'approval' : data['exdef_revocation'] === 1 ? 'revocation' : undefined;
  if (!kind) return 'not an approval or a revocation (no exdef_approval: 1 or exdef_revocation: 1)';
  const record: Record<string, unknown> = { kind };
  for (const [key, field] of Object.entries(KEYS[kind])) {
    const value = data[key];
    if (value === undefined) {
      if (key === 'reason' || key === 'recipient_certificate_sha256' || key === 'catalogue' || key === 'catalogue_sha256') continue;
      return `${key} is missing`;
    }
    if (key === 'version' ? !Number.isInteger(value) : typeof value !== 'string') return `${key} is not a ${key === 'version' ? 'whole number' : 'text'}`;
    record[field] = value;
  }
  for (const key of Object.keys(data)) {
    if (!(key in KEYS[kind]) && key !== `exdef_${kind}`) return `unknown key ${key}`;
  }
  for (const [key, pattern] of Object.entries(FORMATS)) {
    const value = data[key];
    if (typeof value === 'string' && !pattern.test(value)) return `${key} ${JSON.stringify(value)} is not written as exdef writes it`;
  }
  return record as unknown as ApprovalRecord;
}

/**
 * Writes a record and its signature (FILE.sig, as `ssh-keygen -Y sign` names it) into the
 * approvals directory under a new name: an existing file is never replaced. Returns the path.
 * Whatever the umask, the directories it makes are 0700 and the files 0600, as the outbox's: a
 * revocation anyone could delete would revive the approval it withdrew.
 */
export function writeSignedRecord(directory: string, record: ApprovalRecord, key: SigningKey): string {
  const text = recordText(record);
  const signature = signSshsig(Buffer.from(text, 'utf8'), APPROVAL_NAMESPACE, key);
  try {
    // Not mkdirSync's recursive mode: it never returns under /proc (make-directory.ts).
    makeDirectory(directory, PRIVATE_DIRECTORY_MODE);
  } catch (error) {
    throw new ExdefError(`cannot make the approvals directory ${directory}: ${directoryProblem(error as NodeJS.ErrnoException)}`, { exitCode: 2, step: 'approvals' });
  }
  const at = (record.kind === 'approval' ? record.approvedAt : record.revokedAt).replace(/[-:]/g, '').replace(/\.\d+/, '');
  const base = record.kind === 'approval' ? `${record.definition}.${record.practice}.v${record.version}.${at}` : `${record.definition}.${record.practice}.${at}`;
  for (let n = 1; n < 100; n++) {
    const path = join(directory, `${base}${n === 1 ? '' : `-${n}`}.${record.kind}`);
    // The signature first, then the record by a hard link (never over an existing one): a reader
    // never sees a record without its signature.
    const temporary = join(directory, `.${base}.${process.pid}.tmp`);
    try {
      writeFileSync(`${path}.sig`, signature, { flag: 'wx', mode: PRIVATE_FILE_MODE });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new ExdefError(`cannot write to the approvals directory ${directory}: ${(error as NodeJS.ErrnoException).code}`, { exitCode: 2, step: 'approvals' });
    }
    writeFileSync(temporary, text, { mode: PRIVATE_FILE_MODE });
    try {
      linkSync(temporary, path);
      return path;
    } catch (error) {
      rmSync(`${path}.sig`, { force: true });
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      rmSync(temporary, { force: true });
    }
  }
  throw new ExdefError(`too many records named ${base} in ${directory}`, { exitCode: 2, step: 'approvals' });
}

/**
 * Every *.approval and *.revocation file of the directory, with its signature checked against the
 * key it names (whether that key is trusted is decided by approval-status.ts). A missing directory
 * holds nothing.
 */
export function readSignedRecords(directory: string): SignedRecordFile[] {
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ExdefError(`cannot read the approvals directory ${directory}: ${(error as NodeJS.ErrnoException).code}`, { exitCode: 2, step: 'approvals' });
  }
  return names
    .filter((n) => /\.(approval|revocation)$/.test(n))
    .sort()
    .map((name) => readSignedRecord(join(directory, name)));
}

export function readSignedRecord(file: string): SignedRecordFile {
  let bytes: Buffer;
  let armoured: string;
  // Only regular files (a symbolic link to one included) are read: a FIFO or a device would hang
  // or flood every run.
  const regular = (path: string) => {
    try {
      return statSync(path).isFile();
    } catch {
      return true; // reading it says why (ENOENT, EACCES)
    }
  };
  if (!regular(file)) return { file, problem: 'is not a regular file' };
  if (!regular(`${file}.sig`)) return { file, problem: 'has a signature (.sig) that is not a regular file' };
  try {
    bytes = readFileSync(file);
  } catch (error) {
    return { file, problem: `cannot be read (${(error as NodeJS.ErrnoException).code})` };
  }
  const parsed = parseRecord(bytes.toString('utf8'));
  const record = typeof parsed === 'string' ? undefined : parsed;
  try {
    armoured = readFileSync(`${file}.sig`, 'utf8');
  } catch {
    return { file, ...(record ? { record } : {}), problem: 'has no signature (.sig)' };
  }
  const signature = parseSshsig(armoured);
  if (typeof signature === 'string') return { file, ...(record ? { record } : {}), problem: `its signature is unusable: ${signature}` };
  if (!verifySshsig(bytes, APPROVAL_NAMESPACE, signature)) {
    return {
      file,
      ...(record ? { record } : {}),
      signature,
      problem: signature.namespace !== APPROVAL_NAMESPACE ? `is signed for ${signature.namespace}, not ${APPROVAL_NAMESPACE}` : 'does not match its signature (changed after signing)',
    };
  }
  if (typeof parsed === 'string') return { file, signature, problem: parsed };
  return { file, record: parsed, signature };
}
