import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPseudonymKeys, MIN_KEY_LENGTH } from '../../../src/execute/pseudonym-keys.js';
import { isExdefError } from '../../../src/failure.js';

const dir = mkdtempSync(join(tmpdir(), 'exdef-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEY_A = 'a'.repeat(MIN_KEY_LENGTH);
const KEY_B = '0123456789abcdef'.repeat(4);

function keysFile(name: string, text: string, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

function failure(fn: () => unknown): { message: string; exitCode: number } {
  try {
    fn();
  } catch (error) {
    if (isExdefError(error)) return { message: error.message, exitCode: error.exitCode };
    throw error;
  }
  throw new Error('expected a failure');
}

describe('pseudonym keys', () => {
  it('reads keys from a keys file', () => {
    const file = keysFile('keys.yaml', `phm-icb-key: ${KEY_A}\ntww-audit-key: "${KEY_B}"\n`);
    const { keys, warnings } = loadPseudonymKeys(['phm-icb-key', 'tww-audit-key'], { file, env: {} });
    expect(keys.get('phm-icb-key')).toBe(KEY_A);
    expect(keys.get('tww-audit-key')).toBe(KEY_B);
    expect(warnings).toEqual([]);
  });

  it('reads a key from EXDEF_KEY_<NAME>: upper case, - as _', () => {
    const { keys } = loadPseudonymKeys(['phm-icb-key'], { env: { EXDEF_KEY_PHM_ICB_KEY: KEY_B } });
    expect(keys.get('phm-icb-key')).toBe(KEY_B);
  });

  it('prefers the keys file and falls back to the environment for keys it lacks', () => {
    const file = keysFile('partial.yaml', `phm-icb-key: ${KEY_A}\n`);
    const { keys } = loadPseudonymKeys(['phm-icb-key', 'tww-audit-key'], { file, env: { EXDEF_KEY_PHM_ICB_KEY: KEY_B, EXDEF_KEY_TWW_AUDIT_KEY: KEY_B } });
    expect(keys.get('phm-icb-key')).toBe(KEY_A);
    expect(keys.get('tww-audit-key')).toBe(KEY_B);
  });

  it('a missing key is an error that names it and where to give it', () => {
    const f = failure(() => loadPseudonymKeys(['phm-icb-key'], { env: {} }));
    expect(f.exitCode).toBe(2);
    expect(f.message).toContain("'phm-icb-key'");
    expect(f.message).toContain('EXDEF_KEY_PHM_ICB_KEY');
    expect(f.message).toContain('--keys');
  });

  it('refuses a short key, without printing it', () => {
    const f = failure(() => loadPseudonymKeys(['k'], { env: { EXDEF_KEY_K: 'secret-but-short' } }));
    expect(f.message).toMatch(/too short \(16 characters\)/);
    expect(f.message).not.toContain('secret-but-short');
  });

  it('refuses control characters in a key', () => {
    const f = failure(() => loadPseudonymKeys(['k'], { env: { EXDEF_KEY_K: `${KEY_A}\u0000` } }));
    expect(f.message).toMatch(/control characters/);
  });

  it('warns when other users can read the keys file', () => {
    const file = keysFile('open.yaml', `k: ${KEY_A}\n`, 0o644);
    const { warnings } = loadPseudonymKeys(['k'], { file, env: {} });
    expect(warnings.join('\n')).toMatch(/can be read by other users \(mode 644\): chmod 600/);
  });

  it('reports a bad keys file at file:line:col', () => {
    expect(failure(() => loadPseudonymKeys(['k'], { file: keysFile('bad.yaml', 'k: [unclosed\n'), env: {} })).message).toMatch(/bad\.yaml:\d+:\d+: the keys file is not valid YAML/);
    expect(failure(() => loadPseudonymKeys(['k'], { file: keysFile('list.yaml', '- a\n- b\n'), env: {} })).message).toMatch(/list\.yaml:1:1: the keys file must map key names to keys/);
    expect(failure(() => loadPseudonymKeys(['k'], { file: keysFile('number.yaml', 'k: 12345\n'), env: {} })).message).toMatch(/number\.yaml:1:4: the key 'k' must be text/);
    expect(failure(() => loadPseudonymKeys(['k'], { file: join(dir, 'absent.yaml'), env: {} })).message).toMatch(/cannot read the keys file .*absent\.yaml: no such file/);
  });
});
