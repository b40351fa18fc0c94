import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../resources.js';

/**
 * Build step (npm run build, after tsc): bundles dist/src/cli/direct-entry.js and the modules it
 * imports (exdef's own, and the YAML library) into one file, direct-entry.bundle.js, which a plain
 * `exdef lint` loads instead of the separate modules. Nothing changes but how the code is loaded:
 * the bundle is made from the very files tsc wrote, and direct-command.ts uses it only while it is
 * newer than they are (a later tsc run makes it stale, and the separate modules are loaded).
 */
export const DIRECT_ENTRY = join(packageRoot, 'dist', 'src', 'cli', 'direct-entry.js');
export const DIRECT_BUNDLE = join(packageRoot, 'dist', 'src', 'cli', 'direct-entry.bundle.js');
/** The packages bundled in (every other one is imported from node_modules). */
export const BUNDLED_PACKAGES: readonly string[] = ['yaml'];

export async function bundleDirectCommands(): Promise<string> {
  if (!existsSync(DIRECT_ENTRY)) throw new Error(`${DIRECT_ENTRY} is missing: run tsc first`);
  // esbuild comes with the development tools (tsx, vitest); the published package ships the bundle.
  const esbuild = await import('esbuild');
  const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  await esbuild.build({
    entryPoints: [DIRECT_ENTRY],
    outfile: DIRECT_BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Packages stay outside (loaded from node_modules as usual), except the YAML library: seventy
    // CommonJS modules of plain JavaScript that every lint loads, and reads no file of its own.
    external: [...Object.keys(manifest.dependencies), ...Object.keys(manifest.devDependencies)].filter((name) => !BUNDLED_PACKAGES.includes(name)),
    // Bundled CommonJS code calls require (yaml requires 'process'): an ES module has none of its own.
    banner: { js: "import { createRequire as createRequireForBundle } from 'node:module'; const require = createRequireForBundle(import.meta.url);" },
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
