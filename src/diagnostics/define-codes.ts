import type { Span } from '../source/source-file.js';
import type { Diagnostic, Severity, Stage } from './diagnostic.js';

/** One diagnostic code: its default severity, its stage and its single message formatter. */
export interface CodeSpec<P> {
  severity: Severity;
  stage: Stage;
  message: (params: P) => string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnySpecs = Record<string, CodeSpec<any>>;
type ParamsOf<S> = S extends CodeSpec<infer P> ? P : never;

export interface Reporter<S extends AnySpecs> {
  readonly specs: S;
  /** Builds the diagnostic for `code`; the parameters are checked against the code's formatter. */
  make<C extends keyof S & string>(
    code: C,
    params: ParamsOf<S[C]>,
    span?: Span,
    hints?: string[],
  ): Diagnostic;
}

/**
 * A table of diagnostic codes for one stage. Each code has exactly one formatter, whose parameter
 * type is the type of the parameters every caller must pass.
 */
export function defineCodes<S extends AnySpecs>(specs: S): Reporter<S> {
  registerCodes(specs);
  return {
    specs,
    make(code, params, span, hints) {
      const spec = specs[code];
      if (!spec) throw new Error(`internal: diagnostic code ${code} is not defined`);
      const diagnostic: Diagnostic = {
        code,
        severity: spec.severity,
        stage: spec.stage,
        message: spec.message(params),
        params: params as Record<string, unknown>,
      };
      if (span) diagnostic.span = span;
      if (hints && hints.length > 0) diagnostic.hints = hints;
      return diagnostic;
    },
  };
}

const registry = new Map<string, CodeSpec<unknown>>();

function registerCodes(specs: AnySpecs): void {
  for (const [code, spec] of Object.entries(specs)) {
    if (registry.has(code) && registry.get(code) !== spec) {
      throw new Error(`internal: diagnostic code ${code} is defined twice`);
    }
    registry.set(code, spec);
  }
}

/** Every code defined so far (by the modules that have been imported). */
export function registeredCodes(): ReadonlyMap<string, CodeSpec<unknown>> {
  return registry;
}
