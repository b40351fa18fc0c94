import { readFileSync, statSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { ExdefError } from '../failure.js';
import { keyVariable } from '../sql/expression-sql.js';

/** The shortest key accepted: 32 characters (e.g. 16 random bytes as hex is too short; `openssl rand -hex 32` gives 64). */
export const MIN_KEY_LENGTH = 32;

export interface KeySources {
  /** A YAML file mapping key names to keys (`phm-icb-key: 9f2c...`). */
  file?: string;
  /** Where EXDEF_KEY_<NAME> variables are read (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The pseudonym keys a plan needs, each from the keys file or else from the environment variable
 * EXDEF_KEY_<NAME> (the name upper-cased, `-` as `_`). A missing, empty or short key is an error
 * that names it; keys are never printed.
 */
export function loadPseudonymKeys(names: readonly string[], sources: KeySources = {}): { keys: Map<string, string>; warnings: string[] } {
  const env = sources.env ?? process.env;
  const warnings: string[] = [];
  const fromFile = sources.file ? readKeysFile(sources.file, warnings) : new Map<string, string>();
  const keys = new Map<string, string>();
  for (const name of names) {
    const variable = keyVariable(name);
    const key = fromFile.get(name) ?? env[variable];
    const where = fromFile.has(name) ? `in ${sources.file}` : `in ${variable}`;
    if (key === undefined || key === '') {
      throw new ExdefError(`no pseudonym key '${name}': give it in a keys file (--keys FILE, a line \`${name}: <key>\`) or in the environment variable ${variable}`, {
        exitCode: 2,
        step: 'keys',
        hints: ['make a key with: openssl rand -hex 32'],
      });
    }
    if (key.length < MIN_KEY_LENGTH) {
      throw new ExdefError(`the pseudonym key '${name}' ${where} is too short (${key.length} characters): use at least ${MIN_KEY_LENGTH} random characters`, {
        exitCode: 2,
        step: 'keys',
        hints: ['make a key with: openssl rand -hex 32'],
      });
    }
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(key)) {
      throw new ExdefError(`the pseudonym key '${name}' ${where} contains control characters: use printable characters (e.g. hex)`, { exitCode: 2, step: 'keys' });
    }
    keys.set(name, key);
  }
  return { keys, warnings };
}

function readKeysFile(path: string, warnings: string[]): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
    const mode = statSync(path).mode;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      warnings.push(`the keys file ${path} can be read by other users (mode ${(mode & 0o777).toString(8)}): chmod 600 ${path}`);
    }
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new ExdefError(`cannot read the keys file ${path}: ${e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message}`, { exitCode: 2, step: 'keys' });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const at = (offset: number | undefined) => {
    const pos = lineCounter.linePos(offset ?? 0);
    return `${path}:${pos.line}:${pos.col}`;
  };
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    throw new ExdefError(`${at(first.pos[0])}: the keys file is not valid YAML: ${first.message.split('\n')[0]}`, { exitCode: 2, step: 'keys' });
  }
  const keys = new Map<string, string>();
  if (doc.contents === null) return keys;
  if (!isMap(doc.contents)) throw new ExdefError(`${at(doc.contents.range?.[0])}: the keys file must map key names to keys (\`phm-icb-key: <key>\`)`, { exitCode: 2, step: 'keys' });
  for (const pair of doc.contents.items) {
    const name = isScalar(pair.key) ? String(pair.key.value) : undefined;
    const value = isScalar(pair.value) ? pair.value.value : undefined;
    const offset = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
    if (name === undefined) throw new ExdefError(`${at(offset)}: a key name must be plain text`, { exitCode: 2, step: 'keys' });
    if (typeof value !== 'string') {
      throw new ExdefError(`${at(isScalar(pair.value) ? pair.value.range?.[0] : offset)}: the key '${name}' must be text (quote it if it looks like a number)`, { exitCode: 2, step: 'keys' });
    }
    keys.set(name, value);
  }
  return keys;
}
