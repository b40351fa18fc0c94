import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Pair } from 'yaml';
import { ExdefError } from '../failure.js';

/**
 * The provider's configuration: what is the provider's and never the definition's — which keys it
 * trusts to approve for each practice, where approvals are kept, and (for the delivery) the SFTP
 * client key and host keys. Found by `--provider FILE`, else EXDEF_PROVIDER, else
 * ./exdef.provider.yaml when it exists. Paths are relative to the file.
 *
 *   approvals:
 *     directory: approvals              # *.approval / *.revocation files and their .sig
 *     allowed_signers: allowed_signers  # OpenSSH allowed_signers: principals are ODS codes
 *   delivery: ...                       # read by the delivery (src/deliver), kept here as raw data
 */
export interface ProviderConfig {
  /** The file it was read from (absolute). */
  file: string;
  /** Where approvals are and whose keys are trusted; undefined when the file has no approvals section (a run then refuses). */
  approvals: { directory: string; allowedSigners: string } | undefined;
  /** The whole document as parsed: `raw.delivery` is the delivery's to read (src/deliver/delivery-config.ts). */
  raw: Record<string, unknown>;
}

/** The approvals section, which every command that reads or writes approvals needs. */
export function approvalsOf(config: ProviderConfig): NonNullable<ProviderConfig['approvals']> {
  if (config.approvals) return config.approvals;
  throw new ExdefError(`${config.file}: no approvals section (approvals: directory and allowed_signers): a run extracts only the practices whose signed approvals are found there`, {
    exitCode: 2,
    step: 'provider',
    hints: ['docs/production.md, "Approvals"'],
  });
}

/** The file name looked for in the working directory when neither --provider nor EXDEF_PROVIDER names one. */
export const DEFAULT_PROVIDER_FILE = 'exdef.provider.yaml';

/** Top-level sections: `approvals` is read here; the others belong to the delivery and are kept raw. */
export const PROVIDER_SECTIONS = ['approvals', 'delivery'] as const;

/** Where the provider configuration is: --provider, else EXDEF_PROVIDER, else ./exdef.provider.yaml if present; undefined when none. */
export function findProviderConfig(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  if (flag) return resolve(cwd, flag);
  if (env['EXDEF_PROVIDER']) return resolve(cwd, env['EXDEF_PROVIDER']);
  const fallback = resolve(cwd, DEFAULT_PROVIDER_FILE);
  return existsSync(fallback) ? fallback : undefined;
}

/** The provider configuration found as findProviderConfig says, or undefined when there is none. */
export function loadProviderConfigFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ProviderConfig | undefined {
  const file = findProviderConfig(flag, env, cwd);
  return file === undefined ? undefined : loadProviderConfig(file);
}

/** Reads and checks a provider configuration; any mistake is one line naming file:line:col. */
export function loadProviderConfig(path: string): ProviderConfig {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ExdefError(`cannot read the provider configuration ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`, {
      exitCode: 2,
      step: 'provider',
    });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const at = (offset: number | undefined) => {
    const pos = lineCounter.linePos(offset ?? 0);
    return `${file}:${pos.line}:${pos.col}`;
  };
  const fail = (offset: number | undefined, message: string): never => {
    throw new ExdefError(`${at(offset)}: ${message}`, { exitCode: 2, step: 'provider' });
  };
  if (doc.errors.length > 0) fail(doc.errors[0]!.pos[0], `not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  if (!isMap(doc.contents)) return fail(doc.contents?.range?.[0], `the provider configuration must be a mapping (sections: ${PROVIDER_SECTIONS.join(', ')})`);
  const sections = new Map<string, Pair>();
  for (const pair of doc.contents.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    const offset = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
    if (!(PROVIDER_SECTIONS as readonly string[]).includes(name)) fail(offset, `unknown section ${JSON.stringify(name)}: a provider configuration has ${PROVIDER_SECTIONS.join(', ')}`);
    sections.set(name, pair);
  }
  const raw = (doc.toJS() ?? {}) as Record<string, unknown>;
  const approvals = sections.get('approvals');
  if (!approvals) return { file, approvals: undefined, raw };
  const value = approvals.value;
  if (!isMap(value)) return fail(isScalar(approvals.key) ? approvals.key.range?.[0] : 0, 'approvals must be a mapping with directory and allowed_signers');
  const paths: Record<string, string> = {};
  for (const pair of value.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const offset = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
    if (key !== 'directory' && key !== 'allowed_signers') fail(offset, `unknown key approvals.${key}: approvals has directory and allowed_signers`);
    if (!isScalar(pair.value) || typeof pair.value.value !== 'string' || pair.value.value === '') fail(offset, `approvals.${key} must be a path`);
    paths[key] = (pair.value as { value: string }).value;
  }
  for (const key of ['directory', 'allowed_signers']) {
    if (paths[key] === undefined) fail(value.range?.[0], `approvals.${key} is missing`);
  }
  const relative = (p: string) => (isAbsolute(p) ? p : resolve(dirname(file), p));
  return {
    file,
    approvals: { directory: relative(paths['directory']!), allowedSigners: relative(paths['allowed_signers']!) },
    raw,
  };
}
