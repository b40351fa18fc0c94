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
  /** YYYYMMDD... as written (ssh-keygen's valid-after / valid-before). */
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
          // ssh-keygen's YYYYMMDD[HHMM[SS]][Z]; anything else (2026-12-01) it refuses, and so does exdef.
          if (!/^\d{8}(\d{4}(\d{2})?)?Z?$/.test(value)) fail(`${name!.toLowerCase()} ${JSON.stringify(value)} is not a time as ssh-keygen writes it (YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, optionally ending Z)`, raw.indexOf(option) + 1);
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
 * The lines that trust `publicKey` for `principal` in `namespace` on `date` (YYYY-MM-DD): the key
 * is the line's, a principal pattern matches and none negates it, the namespace is allowed, and
 * the date is inside valid-after / valid-before. Certificate authorities are never matched (exdef
 * signatures carry plain keys).
 */
export function trustingSigners(signers: readonly AllowedSigner[], publicKey: string, principal: string, namespace: string, date: string): AllowedSigner[] {
  const day = date.replace(/-/g, '');
  return signers.filter(
    (s) =>
      !s.certAuthority &&
      s.publicKey === publicKey &&
      principalMatches(s.principals, principal) &&
      (!s.namespaces || s.namespaces.some((n) => patternMatches(n, namespace))) &&
      (!s.validAfter || s.validAfter.slice(0, 8) <= day) &&
      (!s.validBefore || day < s.validBefore.slice(0, 8)),
  );
}

/** ssh's match_pattern_list: some pattern matches and no negated one does. */
export function principalMatches(patterns: readonly string[], principal: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      if (patternMatches(pattern.slice(1), principal)) return false;
    } else if (patternMatches(pattern, principal)) matched = true;
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
