import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DIRECT_BUNDLE, DIRECT_ENTRY } from '../../../src/cli/bundle-direct-commands.js';
import * as separate from '../../../src/cli/direct-entry.js';
import { resources } from '../../../src/resources.js';

// npm run build writes the bundle (npm test builds first); a tree built without it fails here.
const built = existsSync(DIRECT_BUNDLE);
const bundled = async () => (await import(pathToFileURL(DIRECT_BUNDLE).href)) as typeof separate;

async function output(run: () => Promise<number>): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    return { code: await run(), stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

describe('the bundle of the commands that run without oclif', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is written by the build, after the modules it was made from', () => {
    expect(built, `${DIRECT_BUNDLE} is missing: run npm run build`).toBe(true);
    expect(statSync(DIRECT_BUNDLE).mtimeMs).toBeGreaterThanOrEqual(statSync(DIRECT_ENTRY).mtimeMs);
  });

  it('lints every shipped definition as the separate modules do, in every format', async () => {
    const bundle = await bundled();
    for (const format of ['json', 'sarif', 'stylish']) {
      const flags = { format, today: '2026-11-21' };
      const fromBundle = await output(() => bundle.runLint([resources.definitions], flags));
      const fromModules = await output(() => separate.runLint([resources.definitions], flags));
      expect(fromBundle.stdout.length).toBeGreaterThan(100);
      expect(fromBundle).toEqual(fromModules);
    }
  });

  it('reports its own usage errors in one line (its copy of ExdefError is recognised)', async () => {
    const bundle = await bundled();
    const missing = join(resources.definitions, 'no-such-definition.exdef.yaml');
    const failure = await bundle.runLint([missing], { format: 'stylish' }).catch((error: Error) => error);
    expect(failure).toBeInstanceOf(Error);
    const reported = await output(async () => bundle.reportFailure(failure as Error, { json: false }));
    expect(reported).toEqual({ code: 2, stdout: '', stderr: `error: ${missing}: no such file or directory\n` });
  });
});
