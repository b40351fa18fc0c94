import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ExdefError } from '../failure.js';

/**
 * OpenSSH's SSHSIG signatures (PROTOCOL.sshsig in OpenSSH's source): what `ssh-keygen -Y sign`
 * writes and `ssh-keygen -Y verify` checks. Only ed25519 keys: the one key type seed 002 names,
 * and the one whose signatures are deterministic and need no parameters.
 *
 *   signed data: "SSHSIG" ‖ string namespace ‖ string reserved ‖ string "sha512" ‖ string sha512(message)
 *   signature:   "SSHSIG" ‖ uint32 1 ‖ string publickey ‖ string namespace ‖ string reserved ‖
 *                string "sha512" ‖ string (string "ssh-ed25519" ‖ string signature)
 * armoured as -----BEGIN SSH SIGNATURE----- base64 in lines of 70 -----END SSH SIGNATURE-----.
 */
const MAGIC = Buffer.from('SSHSIG');
const VERSION = 1;
const ED25519 = 'ssh-ed25519';
const BEGIN = '-----BEGIN SSH SIGNATURE-----';
const END = '-----END SSH SIGNATURE-----';

/** An OpenSSH private key to sign with (its file read once; the key material never leaves this object). */
export interface SigningKey {
  /** `ssh-ed25519 AAAA...`: the public half, as an allowed_signers line or authorized_keys holds it. */
  publicKey: string;
  /** SHA256:... as `ssh-keygen -l` prints it. */
  fingerprint: string;
  sign(data: Buffer): Buffer;
}

/**
 * Reads an OpenSSH private key (ssh2's parser: `-----BEGIN OPENSSH PRIVATE KEY-----`, or PEM).
 * A passphrase-protected key takes its passphrase from `passphrase` (EXDEF_APPROVAL_KEY_PASSPHRASE
 * in the CLI). Anything other than an ed25519 private key is refused with one line.
 */
export function readSigningKey(path: string, passphrase?: string): SigningKey {
  let text: Buffer;
  try {
    text = readFileSync(path);
  } catch (error) {
    throw new ExdefError(`cannot read the key ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { exitCode: 2, step: 'key' });
  }
  // Loaded here, only to read a signing key: a run verifies approvals without it (about 30 ms of start-up).
  const ssh2 = createRequire(import.meta.url)('ssh2') as typeof import('ssh2');
  const parsed = ssh2.utils.parseKey(text, passphrase);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key instanceof Error || key === undefined) {
    const encrypted = key instanceof Error && /passphrase|encrypted/i.test(key.message);
    throw new ExdefError(
      encrypted
        ? `the key ${path} is protected by a passphrase${passphrase ? ' and the one given does not open it' : ''}: give it in EXDEF_APPROVAL_KEY_PASSPHRASE`
        : `${path} is not an OpenSSH private key (${key instanceof Error ? key.message : 'no key found'})`,
      { exitCode: 2, step: 'key' },
    );
  }
  if (!key.isPrivateKey()) throw new ExdefError(`${path} holds a public key: sign with the private key (the file without .pub)`, { exitCode: 2, step: 'key' });
  if (key.type !== ED25519) throw new ExdefError(`${path} is an ${key.type} key: approvals are signed with ed25519 keys only (ssh-keygen -t ed25519)`, { exitCode: 2, step: 'key' });
  const blob = key.getPublicSSH();
  return {
    publicKey: `${ED25519} ${blob.toString('base64')}`,
    fingerprint: keyFingerprint(blob),
    sign: (data) => key.sign(data),
  };
}

/** The armoured SSHSIG signature of `message` in `namespace`, as `ssh-keygen -Y sign -n NAMESPACE` writes it. */
export function signSshsig(message: Buffer, namespace: string, key: SigningKey): string {
  const publicBlob = Buffer.from(key.publicKey.split(' ')[1]!, 'base64');
  const raw = key.sign(signedData(message, namespace));
  const blob = Buffer.concat([MAGIC, uint32(VERSION), string(publicBlob), string(namespace), string(''), string('sha512'), string(Buffer.concat([string(ED25519), string(raw)]))]);
  const base64 = blob.toString('base64');
  const lines = base64.match(/.{1,70}/g) ?? [];
  return `${BEGIN}\n${lines.join('\n')}\n${END}\n`;
}

/** What a signature says about itself, once its bytes are read (before any trust is decided). */
export interface ParsedSignature {
  /** The signer's public key, `ssh-ed25519 AAAA...`. */
  publicKey: string;
  fingerprint: string;
  namespace: string;
  hashAlgorithm: 'sha256' | 'sha512';
  signature: Buffer;
}

/** Reads an armoured SSHSIG signature; a reason (string) when it is not one exdef can check. */
export function parseSshsig(armoured: string): ParsedSignature | string {
  const text = armoured.trim();
  if (!text.startsWith(BEGIN) || !text.endsWith(END)) return 'not an SSH signature (no BEGIN/END SSH SIGNATURE lines)';
  const body = text.slice(BEGIN.length, text.length - END.length).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) return 'the signature is not base64';
  const reader = new Reader(Buffer.from(body, 'base64'));
  try {
    if (!reader.bytes(6).equals(MAGIC)) return 'the signature does not start with SSHSIG';
    const version = reader.uint32();
    if (version !== VERSION) return `signature version ${version} is not supported`;
    const publicBlob = reader.string();
    const namespace = reader.string().toString('utf8');
    reader.string(); // reserved
    const hash = reader.string().toString('utf8');
    const wrapped = new Reader(reader.string());
    reader.end();
    const keyReader = new Reader(publicBlob);
    const keyType = keyReader.string().toString('utf8');
    if (keyType !== ED25519) return `the signature is made with an ${keyType} key: only ed25519 keys are accepted`;
    if (keyReader.string().length !== 32) return 'the signature names a malformed ed25519 key';
    keyReader.end();
    if (hash !== 'sha256' && hash !== 'sha512') return `hash algorithm ${hash} is not supported`;
    const sigType = wrapped.string().toString('utf8');
    const signature = wrapped.string();
    wrapped.end();
    if (sigType !== ED25519 || signature.length !== 64) return 'the signature is not an ed25519 signature';
    return { publicKey: `${ED25519} ${publicBlob.toString('base64')}`, fingerprint: keyFingerprint(publicBlob), namespace, hashAlgorithm: hash, signature };
  } catch {
    return 'the signature is truncated or malformed';
  }
}

/**
 * Whether `signature` signs exactly `message` in `namespace` with the key it names. Says nothing
 * about whether that key is trusted: the caller matches `publicKey` against allowed_signers.
 */
export function verifySshsig(message: Buffer, namespace: string, signature: ParsedSignature): boolean {
  if (signature.namespace !== namespace) return false;
  const raw = Buffer.from(signature.publicKey.split(' ')[1]!, 'base64').subarray(-32);
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  return verifySignature(null, signedData(message, namespace, signature.hashAlgorithm), publicKey, signature.signature);
}

/** SHA256:base64 (unpadded) of a public key blob, as ssh-keygen -l prints it. */
export function keyFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function signedData(message: Buffer, namespace: string, hash: 'sha256' | 'sha512' = 'sha512'): Buffer {
  return Buffer.concat([MAGIC, string(namespace), string(''), string(hash), string(createHash(hash).update(message).digest())]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function string(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([uint32(bytes.length), bytes]);
}

/** The SSH wire format's reader: throws on a short buffer (the caller turns it into a reason). */
class Reader {
  private at = 0;
  constructor(private readonly buffer: Buffer) {}
  bytes(n: number): Buffer {
    if (this.at + n > this.buffer.length) throw new RangeError('short');
    const out = this.buffer.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  uint32(): number {
    return this.bytes(4).readUInt32BE();
  }
  string(): Buffer {
    return this.bytes(this.uint32());
  }
  end(): void {
    if (this.at !== this.buffer.length) throw new RangeError('trailing bytes');
  }
}
