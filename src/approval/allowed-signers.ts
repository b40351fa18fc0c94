import { readFileSync } from 'node:fs';
import { ExdefError } from '../failure.js';

/**
 * An OpenSSH allowed_signers file (ssh-keygen(1), "ALLOWED SIGNERS"): one key a line,
 *
 *   A81001,A81002 namespaces="exdef-approval@nhs" ssh-ed25519 AAAAC3Nza... jane.smith@a81001
 *
 * principals (comma-separated patterns, `*` and `?` wildcards, `!` negation), options, the key and
 * a comment. exdef reads the principals as ODS codes: a key is trusted for the practices its
 * principals match (docs/production.md argues why). The same file is what `ssh-keygen -Y verify -f`
 * takes, so anyone can check an approval without exdef.
 */
export interface AllowedSigner {
  principals: string[];
  /** `ssh-ed25519 AAAA...`. */
  publicKey: string;
  namespaces?: string[];
  /** YYYYMMDD... as written (ssh-keygen's valid-after / valid-before; signerTime() reads them). */
  validAfter?: string;
  validBefore?: string;
  certAuthority: boolean;
  comment: string;
  line: number;
}

export function readAllowedSigners(path: string): AllowedSigner[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ExdefError(`cannot read the allowed signers file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { exitCode: 2, step: 'approvals' });
  }
  return parseAllowedSigners(text, path);
}

export function parseAllowedSigners(text: string, file: string): AllowedSigner[] {
  const signers: AllowedSigner[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fail = (why: string, column = 1): never => {
      throw new ExdefError(`${file}:${index + 1}:${column}: ${why}`, { exitCode: 2, step: 'approvals' });
    };
    const fields = splitFields(line);
    if (!fields) return fail('an unterminated quote');
    const principals = fields.shift()!.split(',').filter((p) => p !== '');
    if (principals.length === 0) fail('no principals');
    let options: string[] = [];
    if (fields[0] !== undefined && !isKeyType(fields[0])) options = splitOptions(fields.shift()!);
    const type = fields.shift();
    const base64 = fields.shift();
    if (!type || !base64) return fail('expected: principals [options] key-type base64-key [comment]');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return fail('the key is not base64', raw.indexOf(base64) + 1);
    const signer: AllowedSigner = { principals, publicKey: `${type} ${base64}`, certAuthority: false, comment: fields.join(' '), line: index + 1 };
    for (const option of options) {
      const [name, ...rest] = option.split('=');
      const value = rest.join('=').replace(/^"(.*)"$/, '$1');
      switch (name!.toLowerCase()) {
        case 'cert-authority':
          signer.certAuthority = true;
          break;
        case 'namespaces':
          signer.namespaces = value.split(',');
          break;
        case 'valid-after':
        case 'valid-before':
          // ssh-keygen's YYYYMMDD[HHMM[SS]][Z|UTC]; anything else (2026-12-01) it refuses, and so does exdef.
          if (signerTime(value) === undefined) fail(`${name!.toLowerCase()} ${JSON.stringify(value)} is not a time as ssh-keygen writes it (YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, optionally ending Z for UTC)`, raw.indexOf(option) + 1);
          if (name!.toLowerCase() === 'valid-after') signer.validAfter = value;
          else signer.validBefore = value;
          break;
        default:
          fail(`unknown option ${JSON.stringify(name)} (ssh-keygen knows cert-authority, namespaces, valid-after, valid-before)`, raw.indexOf(option) + 1);
      }
    }
    signers.push(signer);
  });
  return signers;
}

/**
 * The lines that trust `publicKey` for `principal` in `namespace` at the instant `at`, as
 * `ssh-keygen -Y verify` decides it: the key is the line's, the principal and the namespace match
 * its pattern lists (a negated pattern that matches refuses), and `at` is inside valid-after /
 * valid-before. `at` is the clock (a Date, or an ISO 8601 text of an instant), never a run's
 * --today: a key the provider trusts only from tomorrow signs nothing today, whatever date a run is
 * for. Certificate authorities are never matched (exdef signatures carry plain keys).
 */
export function trustingSigners(signers: readonly AllowedSigner[], publicKey: string, principal: string, namespace: string, at: Date | string): AllowedSigner[] {
  return signersOfKey(signers, publicKey, principal, namespace).filter((s) => keyValidity(s, at) === 'valid');
}

/** The lines that would trust the key for the principal and namespace, whatever their dates. */
export function signersOfKey(signers: readonly AllowedSigner[], publicKey: string, principal: string, namespace: string): AllowedSigner[] {
  return signers.filter((s) => !s.certAuthority && s.publicKey === publicKey && matchPatternList(s.principals, principal) && (!s.namespaces || matchPatternList(s.namespaces, namespace)));
}

/**
 * Whether a line's key may sign at `at` (sshsig.c: "key is not yet valid" when the verify time is
 * before valid-after, "key has expired" when after valid-before; both ends included, in whole seconds).
 */
export function keyValidity(signer: AllowedSigner, at: Date | string): 'valid' | 'not-yet-valid' | 'expired' {
  const seconds = Math.floor(new Date(at).getTime() / 1000);
  // parseAllowedSigners() refuses a time ssh-keygen cannot read; one that slipped past (NaN) trusts nothing.
  if (signer.validAfter && !(seconds >= (signerTime(signer.validAfter) ?? NaN))) return 'not-yet-valid';
  if (signer.validBefore && !(seconds <= (signerTime(signer.validBefore) ?? NaN))) return 'expired';
  return 'valid';
}

/**
 * A valid-after / valid-before time in seconds since the epoch, read as OpenSSH's
 * parse_absolute_time (misc.c) reads it: YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, in UTC when it
 * ends Z or UTC (any case), otherwise in the local time zone by mktime() with tm_isdst = 0 — its
 * *standard* time, so 20270701 in London is 00:00 GMT (01:00 BST), as `ssh-keygen -Y verify` has
 * it. Undefined when ssh-keygen would refuse it.
 */
export function signerTime(text: string): number | undefined {
  const match = /^(\d{4})(\d\d)(\d\d)(?:(\d\d)(\d\d)(\d\d)?)?(z|utc)?$/i.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0] = match.slice(1, 7).map((f) => (f === undefined ? undefined : Number(f))) as number[];
  // strptime's ranges (%m, %d, %H, %M, %S); mktime carries 31 February into March, and so does Date.UTC.
  if (month! < 1 || month! > 12 || day! < 1 || day! > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const wall = Date.UTC(year!, month! - 1, day!, hour, minute, second);
  return (match[7] ? wall : wall + standardOffsetMinutes(year!) * 60_000) / 1000;
}

/** The local zone's standard-time offset (minutes behind UTC, as getTimezoneOffset) in `year`: the larger of January's and July's, DST being the smaller. */
function standardOffsetMinutes(year: number): number {
  return Math.max(new Date(year, 0, 1).getTimezoneOffset(), new Date(year, 6, 1).getTimezoneOffset());
}

/**
 * ssh's match_pattern_list, for principals and namespaces alike: some pattern matches and no
 * negated one does (`*,!exdef-approval@nhs` allows every namespace but exdef's).
 */
export function matchPatternList(patterns: readonly string[], value: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      if (patternMatches(pattern.slice(1), value)) return false;
    } else if (patternMatches(pattern, value)) matched = true;
  }
  return matched;
}

function patternMatches(pattern: string, value: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return regex.test(value);
}

function isKeyType(field: string): boolean {
  return /^(ssh-|ecdsa-|sk-)/.test(field);
}

/** Whitespace-separated fields; a double-quoted stretch stays in its field. */
function splitFields(line: string): string[] | undefined {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    if (!quoted && /\s/.test(c)) {
      if (current !== '') fields.push(current);
      current = '';
    } else current += c;
  }
  if (quoted) return undefined;
  if (current !== '') fields.push(current);
  return fields.map((f) => (/^"[^"]*"$/.test(f) && !f.includes('=') ? f.slice(1, -1) : f));
}

/** Options are comma-separated; a comma inside quotes belongs to the value. */
function splitOptions(field: string): string[] {
  const options: string[] = [];
  let current = '';
  let quoted = false;
  for (const c of field) {
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      options.push(current);
      current = '';
    } else current += c;
  }
  options.push(current);
  return options.filter((o) => o !== '');
}
