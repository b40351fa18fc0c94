/**
 * PostgreSQL COPY text format: columns separated by tabs, rows by \n, NULL as \N, and backslash,
 * tab, newline and carriage return escaped. Used by the seeder and the test fixtures loader.
 */
export function copyField(value: string | number | bigint | boolean | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value !== 'string') return String(value);
  if (!/[\\\t\n\r]/.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

export function copyLine(values: readonly (string | number | bigint | boolean | null | undefined)[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += '\t';
    line += copyField(values[i]);
  }
  return `${line}\n`;
}

/** bytea in COPY text format: \\x followed by hex (the backslash itself escaped). */
export function copyBytea(bytes: Uint8Array): string {
  return `\\\\x${Buffer.from(bytes).toString('hex')}`;
}
