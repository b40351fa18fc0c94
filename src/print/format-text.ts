import { hasErrors } from '../diagnostics/diagnostic.js';
import type { ParsedDefinition } from '../parse/definition-source.js';
import { parseDefinitionText } from '../parse/parse-definition.js';
import { printExdef } from './print-exdef.js';
import { printYaml } from './print-yaml.js';

/** A definition's text as `exdef fmt` writes it (its comments kept), with what parsing it found; no text when it has errors. */
export function formatDefinitionText(file: string, text: string): { formatted?: string; parsed: ParsedDefinition } {
  const parsed = parseDefinitionText(file, text);
  if (hasErrors(parsed.diagnostics) || !parsed.document) return { parsed };
  const printable = { ...parsed, document: parsed.document };
  return { formatted: parsed.syntax === 'exdef' ? printExdef(printable) : printYaml(printable), parsed };
}
