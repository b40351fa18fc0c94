import { ExdefError } from '../failure.js';
import type { CompiledPlan, CompiledQuery } from './compile-extract.js';
import { keyVariable } from './expression-sql.js';
import { arrayLiteral, RUN_PARAMETERS, type ParameterSpec } from './parameters.js';

/** What a run supplies: the extract date, the delta state's record key, and the pseudonym keys. */
export interface RunValues {
  /** YYYY-MM-DD (UTC): the extract date. */
  snapshotDate: string;
  /** The delta state's record key (record ids are an HMAC of the row's key under it). */
  recordKey?: string;
  /** A subset of the definition's practices to run for (`exdef run --practice`). */
  practices?: readonly string[];
  /** Pseudonym keys by name. */
  keys?: ReadonlyMap<string, string>;
}

/**
 * The values for a compiled query's `$1..$n`, as text (every placeholder carries its cast, so
 * both engines take text): compile-time values from the plan, run-time values from `values`.
 */
export function bindParameters(plan: CompiledPlan, query: CompiledQuery, values: RunValues): string[] {
  const specs = new Map(plan.parameters.map((p) => [p.name, p]));
  return query.parameters.map((name) => {
    const spec = specs.get(name);
    if (!spec) throw new Error(`internal: the plan has no parameter ${name}`);
    return valueOf(spec, values);
  });
}

function valueOf(spec: ParameterSpec, values: RunValues): string {
  switch (spec.source) {
    case 'run':
      if (spec.name === RUN_PARAMETERS.snapshotDate) return values.snapshotDate;
      throw new Error(`internal: unknown run parameter ${spec.name}`);
    case 'state': {
      if (spec.name === RUN_PARAMETERS.recordKey) {
        if (!values.recordKey) throw new Error('internal: a delta definition needs its record key');
        return values.recordKey;
      }
      throw new Error(`internal: unknown state parameter ${spec.name}`);
    }
    case 'key': {
      const name = spec.name.slice('key_'.length);
      const key = values.keys?.get(name);
      if (key === undefined) {
        throw new ExdefError(`no pseudonym key '${name}': give it in the keys file (--keys FILE) or in the environment variable ${keyVariable(name)}`, {
          exitCode: 2,
          step: 'keys',
        });
      }
      return key;
    }
    default: {
      if (spec.name === 'practices' && values.practices) return arrayLiteral(values.practices);
      const value = spec.value;
      if (value === undefined) throw new Error(`internal: parameter ${spec.name} has no value`);
      if (Array.isArray(value)) return arrayLiteral(value);
      return String(value);
    }
  }
}
