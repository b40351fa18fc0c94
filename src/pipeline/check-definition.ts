import type { Catalogue } from '../catalogue/catalogue.js';
import { hasErrors, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { ExtractDefinition } from '../ir/extract-definition.js';
import type { ParsedDefinition } from '../parse/definition-source.js';
import { parseDefinitionFile, parseDefinitionText } from '../parse/parse-definition.js';
import { resolveDefinition, type ResolveOptions } from '../resolve/resolve-definition.js';

/** A definition taken as far through the pipeline as it goes: parsed, then resolved into the IR. */
export interface CheckedDefinition {
  parsed: ParsedDefinition;
  definition?: ExtractDefinition;
  diagnostics: Diagnostic[];
}

export interface CheckOptions extends ResolveOptions {
  catalogue: Catalogue;
}

/** Parse, validate and resolve one definition file. */
export function checkDefinitionFile(path: string, options: CheckOptions): CheckedDefinition {
  return checkParsed(parseDefinitionFile(path), options);
}

export function checkDefinitionText(path: string, text: string, options: CheckOptions): CheckedDefinition {
  return checkParsed(parseDefinitionText(path, text), options);
}

export function checkParsed(parsed: ParsedDefinition, options: CheckOptions): CheckedDefinition {
  if (hasErrors(parsed.diagnostics)) return { parsed, diagnostics: parsed.diagnostics };
  const { definition, diagnostics } = resolveDefinition(parsed, options.catalogue, options);
  return definition ? { parsed, definition, diagnostics } : { parsed, diagnostics };
}
