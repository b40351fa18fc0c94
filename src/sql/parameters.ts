import { sql, type RawBuilder } from 'kysely';

/** The SQL types a parameter is cast to where it is used (every use carries its cast). */
export type ParameterType = 'text' | 'bigint' | 'integer' | 'numeric' | 'boolean' | 'date' | 'timestamptz' | 'interval' | 'text[]' | 'bigint[]';

/**
 * Where a parameter's value comes from:
 * - `run`: the executor, for this run (the snapshot date);
 * - `state`: the executor, from the delta state the last successful run left (the record key);
 * - `definition`: a literal written in the definition (its value is in the plan);
 * - `population`: the definition's population settings (the practices in scope);
 * - `policy`: the IM1 policy (sensitive code sets);
 * - `catalogue`: a value the catalogue names (e.g. the permanent registration type);
 * - `key`: a pseudonym key, given at run time by --keys or EXDEF_KEY_<NAME>; never in the plan.
 */
export type ParameterSource = 'run' | 'state' | 'definition' | 'population' | 'policy' | 'catalogue' | 'key';

export interface ParameterSpec {
  name: string;
  type: ParameterType;
  source: ParameterSource;
  /** What it means, for the SQL header and the report. */
  meaning: string;
  /** The value, for parameters fixed at compile time (never for keys or run-time values). */
  value?: string | boolean | string[];
  /** Where it was written: file:line:col. */
  at?: string;
}

/** How a parameter appears in a Kysely query: an object the compiler maps to `$n` by name. */
export interface ParameterRef {
  readonly exdefParameter: string;
}

export function isParameterRef(value: unknown): value is ParameterRef {
  return typeof value === 'object' && value !== null && typeof (value as ParameterRef).exdefParameter === 'string';
}

/** The run-time parameters, by name. */
export const RUN_PARAMETERS = {
  snapshotDate: 'snapshot_date',
  recordKey: 'record_key',
} as const;

/**
 * The parameters of one compiled definition. `use` returns the typed placeholder (`$n::type`);
 * a name always means one value, so asking for a known name with another value is a bug.
 */
export class ParameterSet {
  readonly #specs = new Map<string, ParameterSpec>();
  /** Literal parameters by where they were written, so compiling an expression twice binds it once. */
  readonly #literalsAt = new Map<string, string>();
  #literals = 0;

  use(spec: ParameterSpec): RawBuilder<any> {
    const known = this.#specs.get(spec.name);
    if (!known) this.#specs.set(spec.name, spec);
    else if (known.type !== spec.type || JSON.stringify(known.value) !== JSON.stringify(spec.value)) {
      throw new Error(`internal: parameter ${spec.name} used with two meanings`);
    }
    return placeholder(spec.name, spec.type);
  }

  /** A literal written in the definition: a new parameter for each place it is written. */
  literal(type: ParameterType, value: string | boolean, meaning: string, at?: string): RawBuilder<any> {
    const place = at === undefined ? undefined : `${at}|${type}|${String(value)}`;
    let name = place === undefined ? undefined : this.#literalsAt.get(place);
    if (name === undefined) {
      this.#literals += 1;
      name = `literal_${this.#literals}`;
      if (place !== undefined) this.#literalsAt.set(place, name);
    }
    return this.use({ name, type, source: 'definition', meaning, value, ...(at ? { at } : {}) });
  }

  get(name: string): ParameterSpec | undefined {
    return this.#specs.get(name);
  }

  /** Every parameter, in the order first used. */
  list(): ParameterSpec[] {
    return [...this.#specs.values()];
  }
}

export function placeholder(name: string, type: ParameterType): RawBuilder<any> {
  const ref: ParameterRef = { exdefParameter: name };
  return sql`${ref}::${sql.raw(type)}`;
}

/**
 * A PostgreSQL array literal (`{"a","b"}`) for a text[] or bigint[] parameter: elements quoted,
 * with `"` and `\` escaped, so any value round-trips.
 */
export function arrayLiteral(values: readonly (string | number | bigint)[]): string {
  return `{${values.map((v) => `"${String(v).replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}
