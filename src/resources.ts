import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root directory, whether running from src/ (tests) or dist/src/ (the CLI). */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schema'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('internal: cannot find the exdef package root');
    dir = parent;
  }
}

export const packageRoot = findPackageRoot();

/** Files that ship with exdef and are read at run time. */
export const resources = {
  referenceCatalogue: join(packageRoot, 'src/catalogue/reference.catalogue.yaml'),
  catalogueSchema: join(packageRoot, 'schema/catalogue.schema.json'),
  definitionSchema: join(packageRoot, 'schema/exdef.schema.json'),
  sampleTerminology: join(packageRoot, 'src/terminology/sample'),
  definitions: join(packageRoot, 'definitions'),
} as const;
