import type { Catalogue } from '../catalogue/catalogue.js';
import { loadCatalogue } from '../catalogue/load-catalogue.js';
import { renderDiagnostics, paletteFor } from '../diagnostics/render-terminal.js';
import { ExdefError } from '../failure.js';

/** Loads the catalogue a command was given; a malformed one is printed with positions, exit 2. */
export function catalogueForCommand(path: string | undefined): Catalogue {
  const result = loadCatalogue(path);
  if (!result.catalogue) {
    process.stderr.write(renderDiagnostics(result.diagnostics, undefined, paletteFor(process.stderr)));
    throw new ExdefError(`the catalogue ${path ?? '(reference)'} is not usable`, { exitCode: 2, step: 'load catalogue' });
  }
  return result.catalogue;
}
