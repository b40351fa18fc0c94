/**
 * PostgreSQL COPY text format: columns separated by tabs, rows by \n, NULL as \N, and backslash,
 * tab, newline and carriage return escaped. Used by the seeder, the terminology loader and the
 * test fixtures loader.
 */

/** A value already in COPY text form (e.g. bytea), written as it is. */
export interface CopyEncoded {
  readonly encoded: string;
}

export type CopyValue = string | number | bigint | boolean | null | undefined | CopyEncoded;

export function copyField(value: CopyValue): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'object') return value.encoded;
  if (typeof value !== 'string') return String(value);
  if (!/[\\\t\n\r]/.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

export function copyLine(values: readonly CopyValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += '\t';
    line += copyField(values[i]);
  }
  return `${line}\n`;
}

/** bytea in COPY text format: \x followed by hex, its backslash escaped for COPY. */
export function copyBytea(bytes: Uint8Array): CopyEncoded {
  return { encoded: `\\\\x${Buffer.from(bytes).toString('hex')}` };
}
