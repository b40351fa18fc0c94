import type { Span } from '../source/source-file.js';

export type Severity = 'error' | 'warning' | 'info';

/** The pipeline stage that found a problem: it tells a user where to look. */
export type Stage =
  | 'source'
  | 'schema'
  | 'parse'
  | 'resolve'
  | 'policy'
  | 'catalogue'
  | 'terminology'
  | 'compile'
  | 'execute';

/**
 * A problem found in a user's input. Plain data: it is serialised into JSON, SARIF, JUnit and
 * GitHub annotations as it is. `code` is stable (kebab-case) and has exactly one formatter.
 */
export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  stage: Stage;
  span?: Span;
  hints?: string[];
  /** The typed parameters the message was formatted from, for machine consumers. */
  params?: Record<string, unknown>;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

export function countBySeverity(diagnostics: readonly Diagnostic[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const d of diagnostics) counts[d.severity]++;
  return counts;
}

/** Stable order for output: by file, then position, then code. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) => {
    const fa = a.span?.file ?? '';
    const fb = b.span?.file ?? '';
    if (fa !== fb) return fa < fb ? -1 : 1;
    const oa = a.span?.start.offset ?? -1;
    const ob = b.span?.start.offset ?? -1;
    if (oa !== ob) return oa - ob;
    return a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
  });
}
