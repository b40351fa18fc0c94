import { generateKeyPairSync, randomBytes } from 'node:crypto';

/**
 * A fresh ed25519 key pair in OpenSSH's own formats: the private key as `ssh-keygen -t ed25519
 * -N ""` writes it (PROTOCOL.key, "openssh-key-v1", unencrypted) and the public key line.
 *
 * Not ssh2's `utils.generateKeyPairSync('ed25519')`: it strips every leading zero byte of the
 * public key (meaning to strip the DER bit string's one "unused bits" byte), so about one key in
 * 256 comes out 31 bytes long and its own `parseKey` rejects it as malformed (mscdex/ssh2#1390,
 * #1513, open). The demo's approver key and the tests' keys are made here instead.
 */
export interface Ed25519KeyPair {
  /** `-----BEGIN OPENSSH PRIVATE KEY-----` ... */
  private: string;
  /** `ssh-ed25519 AAAA... comment` */
  public: string;
}

const KEY_TYPE = 'ssh-ed25519';

export function generateEd25519KeyPair(comment = ''): Ed25519KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d!, 'base64url');
  const raw = Buffer.from((publicKey.export({ format: 'jwk' }).x)!, 'base64url');
  if (seed.length !== 32 || raw.length !== 32) throw new Error(`ed25519 key of ${seed.length}/${raw.length} bytes`);
  const publicBlob = Buffer.concat([string(KEY_TYPE), string(raw)]);
  const check = randomBytes(4);
  let section = Buffer.concat([check, check, string(KEY_TYPE), string(raw), string(Buffer.concat([seed, raw])), string(comment)]);
  // Padded to the cipher's block size (8 for "none") with the bytes 1, 2, 3, ...
  const padding = (8 - (section.length % 8)) % 8;
  section = Buffer.concat([section, Buffer.from(Array.from({ length: padding }, (_, i) => i + 1))]);
  const body = Buffer.concat([Buffer.from('openssh-key-v1\0'), string('none'), string('none'), string(''), uint32(1), string(publicBlob), string(section)]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return {
    private: `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`,
    public: `${KEY_TYPE} ${publicBlob.toString('base64')}${comment ? ` ${comment}` : ''}`,
  };
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function string(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([uint32(bytes.length), bytes]);
}
