import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type CompiledQuery,
  type RootOperationNode,
  type QueryId,
} from 'kysely';
import { isParameterRef, type ParameterRef } from './parameters.js';

/**
 * Kysely as the compiler uses it: the PostgreSQL dialect with no connection (queries are built and
 * compiled, never executed here). Every value in a query must be a named parameter reference;
 * each name becomes one `$n`, reused wherever the name recurs.
 */
class ExdefQueryCompiler extends PostgresQueryCompiler {
  #positions = new Map<string, number>();

  override compileQuery(node: RootOperationNode, queryId: QueryId): CompiledQuery {
    this.#positions = new Map();
    return super.compileQuery(node, queryId);
  }

  protected override appendValue(parameter: unknown): void {
    if (!isParameterRef(parameter)) {
      // Values are bound only through ParameterSet: anything else is a bug in the compiler.
      throw new Error('internal: a value reached the SQL text without a parameter name');
    }
    const known = this.#positions.get(parameter.exdefParameter);
    if (known !== undefined) {
      this.append(`$${known}`);
      return;
    }
    this.addParameter(parameter);
    this.#positions.set(parameter.exdefParameter, this.numParameters);
    this.append(`$${this.numParameters}`);
  }

  protected override appendImmediateValue(): void {
    throw new Error('internal: the compiler never writes values into SQL text');
  }
}

let instance: Kysely<any> | undefined;

export function compilerKysely(): Kysely<any> {
  instance ??= new Kysely<any>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new ExdefQueryCompiler(),
    },
  });
  return instance;
}

/** The parameter names of a compiled query, in `$n` order. */
export function parameterNames(compiled: CompiledQuery): string[] {
  return compiled.parameters.map((p) => (p as ParameterRef).exdefParameter);
}
