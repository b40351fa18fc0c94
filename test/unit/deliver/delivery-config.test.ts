/**
 * The `delivery` section of the provider configuration: paths relative to the file, defaults,
 * one clear line for each mistake, and a client key that must be private (0600) and ed25519.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_DELIVERY, loadDeliveryConfig, parseDeliveryConfig, readClientKey } from '../../../src/deliver/delivery-config.js';
import { checkClientKey, hostKeyFingerprint, pinnedFingerprint } from '../../../src/deliver/ssh-keys.js';
import { ExdefError } from '../../../src/failure.js';

const dir = mkdtempSync(join(tmpdir(), 'exdef-delivery-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const refusal = (fn: () => unknown): ExdefError => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ExdefError);
    expect((error as ExdefError).exitCode).toBe(2);
    expect((error as Error).message).not.toContain('\n');
    return error as ExdefError;
  }
  throw new Error('accepted');
};

describe('the delivery configuration', () => {
  it('resolves paths against the configuration file and fills in the defaults', () => {
    const config = parseDeliveryConfig({ client_key: 'keys/exdef_ed25519', retries: 5 }, '/etc/exdef/provider.yaml');
    expect(config).toEqual({
      configFile: '/etc/exdef/provider.yaml',
      clientKey: '/etc/exdef/keys/exdef_ed25519',
      outbox: '/etc/exdef/.exdef/outbox',
      retries: 5,
      backoffSeconds: DEFAULT_DELIVERY.backoffSeconds,
      connectTimeoutSeconds: DEFAULT_DELIVERY.connectTimeoutSeconds,
      stallTimeoutSeconds: DEFAULT_DELIVERY.stallTimeoutSeconds,
    });
    expect(parseDeliveryConfig({ outbox: '/var/lib/exdef/outbox' }, '/etc/exdef/provider.yaml').outbox).toBe('/var/lib/exdef/outbox');
  });

  it.each([
    [{ clientkey: 'x' }, /delivery\.clientkey is not a delivery setting/],
    [{ retries: -1 }, /delivery\.retries must be a whole number from 0 to 20/],
    [{ backoff_seconds: 1.5 }, /delivery\.backoff_seconds must be a whole number/],
    [{ client_key: 42 }, /delivery\.client_key must be a file path/],
    [['client_key'], /delivery must be a mapping/],
  ])('refuses %j with one line', (raw, message) => {
    expect(refusal(() => parseDeliveryConfig(raw, 'p.yaml')).message).toMatch(message);
  });

  it('is found through --provider, else EXDEF_PROVIDER; a YAML mistake names its line and column', () => {
    const file = join(dir, 'provider.yaml');
    writeFileSync(file, 'delivery:\n  outbox: out\n');
    expect(loadDeliveryConfig(undefined, { EXDEF_PROVIDER: file }).outbox).toBe(join(dir, 'out'));
    expect(loadDeliveryConfig(file, {}).configFile).toBe(file);
    writeFileSync(join(dir, 'broken.yaml'), 'delivery:\n  outbox: [\n');
    expect(refusal(() => loadDeliveryConfig(join(dir, 'broken.yaml'), {})).message).toMatch(/broken\.yaml:\d+:\d+: not valid YAML/);
    expect(refusal(() => loadDeliveryConfig(join(dir, 'missing.yaml'), {})).message).toMatch(/missing\.yaml: no such file/);
  });

  it('needs a client key readable by its owner only, ed25519, without a passphrase; never quotes it', async () => {
    expect(refusal(() => readClientKey(parseDeliveryConfig({}, join(dir, 'p.yaml')))).message).toMatch(/^no SFTP client key: name it in the provider configuration/);
    const key = join(dir, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const config = parseDeliveryConfig({ client_key: 'id_ed25519' }, join(dir, 'p.yaml'));
    writeFileSync(key, readFileSync(key), { mode: 0o644 });
    execFileSync('chmod', ['644', key]);
    const open = refusal(() => readClientKey(config));
    expect(open.message).toMatch(/can be read by others \(mode 0644\): it must be 0600/);
    execFileSync('chmod', ['600', key]);
    await expect(checkClientKey(readClientKey(config), key)).resolves.toBeUndefined();

    const protectedKey = join(dir, 'id_protected');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'a passphrase', '-f', protectedKey]);
    const passphrase = await checkClientKey(readFileSync(protectedKey), protectedKey).then(() => { throw new Error('accepted'); }, (e: unknown) => e as ExdefError);
    expect(passphrase.message).toMatch(/is protected by a passphrase/);
    const notAKey = await checkClientKey(Buffer.from('-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n'), 'junk').then(() => { throw new Error('accepted'); }, (e: unknown) => e as ExdefError);
    expect(notAKey.message).toMatch(/^the SFTP client key junk is not an OpenSSH private key$/);
    expect(notAKey.message).not.toContain('AAAA');
  });

  it('pins a host key by its SHA256 fingerprint, the same as ssh-keygen -lf prints for the key line', () => {
    const key = join(dir, 'host_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const line = readFileSync(`${key}.pub`, 'utf8').trim();
    const printed = execFileSync('ssh-keygen', ['-lf', `${key}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
    expect(hostKeyFingerprint(Buffer.from(line.split(' ')[1]!, 'base64'))).toBe(printed);
    expect(pinnedFingerprint(line)).toBe(printed);
    expect(pinnedFingerprint(printed)).toBe(printed);
  });
});
