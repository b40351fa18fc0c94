/**
 * EXDEF_KEY_<NAME>: the environment variable that holds a pseudonym key, the key name upper-cased
 * with `-` as `_`. On its own so that lint (disclosure scoring) names it without loading the SQL
 * builder.
 */
export function keyVariable(name: string): string {
  return `EXDEF_KEY_${name.toUpperCase().replace(/-/g, '_')}`;
}
