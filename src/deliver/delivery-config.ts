import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { loadProviderConfigFrom } from '../provider/provider-config.js';
import { ExdefError } from '../failure.js';

/**
 * The `delivery` section of the provider's configuration (exdef.provider.yaml): what the provider
 * holds and the definition never does — the SFTP client key — and how its outbox behaves.
 *
 *   delivery:
 *     client_key: keys/exdef_ed25519     # ed25519 private key (OpenSSH format), mode 0600
 *     outbox: /var/lib/exdef/outbox      # default: .exdef/outbox beside the configuration file
 *     retries: 3                         # attempts after the first, per item and command
 *     backoff_seconds: 30                # the first wait; doubled before each further attempt
 *     connect_timeout_seconds: 30        # TCP, SSH handshake and authentication together
 *     stall_timeout_seconds: 60          # any SFTP step (a write, a rename) that makes no progress
 *
 * Paths are relative to the configuration file. Without a configuration file the outbox is
 * ./.exdef/outbox and there is no client key (so nothing can be sent, only queued).
 */
export interface DeliveryConfig {
  /** The configuration file this came from, or undefined for the defaults. */
  configFile: string | undefined;
  /** The client key file (absolute); its contents are read only when a connection is made. */
  clientKey: string | undefined;
  outbox: string;
  retries: number;
  backoffSeconds: number;
  connectTimeoutSeconds: number;
  stallTimeoutSeconds: number;
  /**
   * The provider's approvals (its approvals section): each extract is sent only while every
   * practice whose data it holds still has a valid approval (a revocation or an expiry after the
   * run holds it back). Undefined without an approvals section, which no run gets past.
   */
  approvals?: { directory: string; allowedSigners: string };
}

export const DEFAULT_DELIVERY = { retries: 3, backoffSeconds: 30, connectTimeoutSeconds: 30, stallTimeoutSeconds: 60 } as const;

const KNOWN = new Set(['client_key', 'outbox', 'retries', 'backoff_seconds', 'connect_timeout_seconds', 'stall_timeout_seconds']);

/** Parses the `delivery` section (`raw`, as YAML gave it; undefined when absent) of `configFile`. */
export function parseDeliveryConfig(raw: unknown, configFile: string | undefined): DeliveryConfig {
  const base = configFile ? dirname(resolve(configFile)) : process.cwd();
  const where = configFile ? `${configFile}: delivery` : 'delivery';
  const problem = (message: string) => new ExdefError(`${where}${message}`, { exitCode: 2, step: 'provider' });
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) throw problem(' must be a mapping (client_key, outbox, retries, ...)');
  const section = (raw ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(section)) {
    if (!KNOWN.has(key)) throw problem(`.${key} is not a delivery setting (${[...KNOWN].join(', ')})`);
  }
  const path = (key: string): string | undefined => {
    const value = section[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || value.trim() === '') throw problem(`.${key} must be a file path`);
    return isAbsolute(value) ? value : join(base, value);
  };
  const count = (key: string, fallback: number, min: number, max: number): number => {
    const value = section[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) throw problem(`.${key} must be a whole number from ${min} to ${max}`);
    return value;
  };
  return {
    configFile,
    clientKey: path('client_key'),
    outbox: path('outbox') ?? join(base, '.exdef', 'outbox'),
    retries: count('retries', DEFAULT_DELIVERY.retries, 0, 20),
    backoffSeconds: count('backoff_seconds', DEFAULT_DELIVERY.backoffSeconds, 0, 3600),
    connectTimeoutSeconds: count('connect_timeout_seconds', DEFAULT_DELIVERY.connectTimeoutSeconds, 1, 600),
    stallTimeoutSeconds: count('stall_timeout_seconds', DEFAULT_DELIVERY.stallTimeoutSeconds, 1, 3600),
  };
}

/** The delivery settings of the provider configuration (`--provider`, EXDEF_PROVIDER or ./exdef.provider.yaml: src/provider/provider-config.ts). */
export function loadDeliveryConfig(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): DeliveryConfig {
  const config = loadProviderConfigFrom(flag, env);
  const delivery = parseDeliveryConfig(config?.raw['delivery'], config?.file);
  return config?.approvals ? { ...delivery, approvals: config.approvals } : delivery;
}

/**
 * The client key's text, for a connection: the file must be readable by its owner only (0600 or
 * stricter), an OpenSSH ed25519 private key without a passphrase (delivery runs unattended). The
 * key itself never appears in a message.
 */
export function readClientKey(config: DeliveryConfig): Buffer {
  const file = config.clientKey;
  const problem = (message: string, hints: string[] = []) => new ExdefError(message, { exitCode: 2, step: 'client key', hints });
  if (!file) {
    throw problem(`no SFTP client key: name it in the provider configuration (${config.configFile ?? 'exdef.provider.yaml, --provider FILE or EXDEF_PROVIDER'}) as delivery.client_key`, [
      'make one with: ssh-keygen -t ed25519 -N "" -f exdef_ed25519 (and send exdef_ed25519.pub to the partner)',
    ]);
  }
  let mode: number;
  let text: Buffer;
  try {
    mode = statSync(file).mode;
    text = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw problem(`the SFTP client key ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'a directory, not a key file' : (error as Error).message}`);
  }
  if ((mode & 0o077) !== 0) {
    throw problem(`the SFTP client key ${file} can be read by others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}): it must be 0600`, [`chmod 600 ${file}`]);
  }
  return text;
}
