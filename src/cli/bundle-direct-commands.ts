import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../resources.js';

/**
 * Build step (npm run build, after tsc): bundles dist/src/cli/direct-entry.js and the modules it
 * imports (exdef's own; packages stay outside) into one file, direct-entry.bundle.js, which a plain
 * `exdef lint` loads instead of the separate modules. Nothing changes but how the code is loaded:
 * the bundle is made from the very files tsc wrote, and direct-command.ts uses it only while it is
 * newer than they are (a later tsc run makes it stale, and the separate modules are loaded).
 */
export const DIRECT_ENTRY = join(packageRoot, 'dist', 'src', 'cli', 'direct-entry.js');
export const DIRECT_BUNDLE = join(packageRoot, 'dist', 'src', 'cli', 'direct-entry.bundle.js');

export async function bundleDirectCommands(): Promise<string> {
  if (!existsSync(DIRECT_ENTRY)) throw new Error(`${DIRECT_ENTRY} is missing: run tsc first`);
  // esbuild comes with the development tools (tsx, vitest); the published package ships the bundle.
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [DIRECT_ENTRY],
    outfile: DIRECT_BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    // Keep names as written: messages and stacks (EXDEF_DEBUG=1) read as in the separate modules.
    keepNames: true,
    sourcemap: true,
    logLevel: 'warning',
  });
  return DIRECT_BUNDLE;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  console.log(`wrote ${await bundleDirectCommands()}`);
}
