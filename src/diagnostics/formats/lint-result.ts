import type { Diagnostic } from '../diagnostic.js';

/** What `exdef lint` found in one file, as every output format receives it. */
export interface LintFileResult {
  file: string;
  syntax?: 'yaml' | 'exdef';
  diagnostics: Diagnostic[];
}
