import { createHash } from 'node:crypto';
import { ExdefError } from '../failure.js';

/**
 * The keys of an SFTP delivery: the server's host key as the definition pins it (its SHA256
 * fingerprint or its public key line), and the provider's client key (ed25519, no passphrase).
 */

/** `SHA256:...` of a public key blob, as `ssh-keygen -lf` prints it. */
export function hostKeyFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The fingerprint a pin stands for: itself, or the fingerprint of the public key line it gives. */
export function pinnedFingerprint(hostKey: string): string {
  const pin = hostKey.trim();
  if (pin.startsWith('SHA256:')) return pin.replace(/=+$/, '');
  const blob = pin.split(/\s+/)[1];
  return hostKeyFingerprint(Buffer.from(blob ?? '', 'base64'));
}

/** The host key algorithms that show the pinned key, when the pin is a key line (a fingerprint does not say). */
export function hostKeyAlgorithms(hostKey: string): ('ssh-ed25519' | 'rsa-sha2-512' | 'rsa-sha2-256' | 'ssh-rsa' | 'ecdsa-sha2-nistp256' | 'ecdsa-sha2-nistp384' | 'ecdsa-sha2-nistp521')[] | undefined {
  const type = hostKey.trim().split(/\s+/)[0];
  if (type === 'ssh-ed25519') return ['ssh-ed25519'];
  if (type === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  if (type === 'ecdsa-sha2-nistp256' || type === 'ecdsa-sha2-nistp384' || type === 'ecdsa-sha2-nistp521') return [type];
  return undefined;
}

/** The client key must be an OpenSSH ed25519 private key without a passphrase; never quoted in a message. */
export async function checkClientKey(text: Buffer, file: string): Promise<void> {
  const { utils } = (await import('ssh2')).default;
  const key = utils.parseKey(text);
  if (key instanceof Error || Array.isArray(key)) {
    const encrypted = /encrypted|passphrase/i.test(key instanceof Error ? key.message : '');
    throw new ExdefError(
      `the SFTP client key ${file} ${encrypted ? 'is protected by a passphrase: delivery runs unattended, so it needs a key without one (kept 0600)' : 'is not an OpenSSH private key'}`,
      { exitCode: 2, step: 'client key', hints: ['make one with: ssh-keygen -t ed25519 -N "" -f exdef_ed25519'] },
    );
  }
  if (key.type !== 'ssh-ed25519' || !key.isPrivateKey()) {
    throw new ExdefError(`the SFTP client key ${file} is ${key.isPrivateKey() ? `a ${key.type} key` : 'a public key'}: delivery authenticates with an ed25519 private key (IM1 policy)`, {
      exitCode: 2,
      step: 'client key',
      hints: ['make one with: ssh-keygen -t ed25519 -N "" -f exdef_ed25519'],
    });
  }
}
