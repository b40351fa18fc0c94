/**
 * The one sanitiser every SQL identifier passes. Identifiers come only from the catalogue (whose
 * schema restricts them to lower-case SQL names); quoting here is defence in depth.
 */
const SAFE_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export function quoteIdentifier(name: string): string {
  if (!SAFE_IDENTIFIER.test(name)) {
    throw new Error(`internal: refusing to use ${JSON.stringify(name)} as an SQL identifier`);
  }
  return `"${name}"`;
}

/** schema.table, both sanitised. */
export function qualifiedName(schema: string, table: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
}

export function isSafeIdentifier(name: string): boolean {
  return SAFE_IDENTIFIER.test(name);
}

/** An identifier as the body of a string literal (e.g. a trigger argument); sanitised the same way. */
export function identifierAsLiteral(name: string): string {
  quoteIdentifier(name);
  return name;
}
