import { copyLine } from '../db/copy-text.js';
import type { Session } from '../db/database.js';

/**
 * COPY takes no bind parameters, and no value may be written into SQL text. So the values of a
 * compiled query are set as transaction-local settings and the query reads them with
 * `current_setting('exdef.pN')`: every `$n` of the compiled SQL (always followed by its cast,
 * `$3::date`) becomes `current_setting('exdef.p3')`, so `current_setting('exdef.p3')::date`. The
 * plan is the same; the values never touch the text.
 *
 * On PostgreSQL the values travel as COPY data, never as bind parameters: a server that logs every
 * statement with its parameters (`log_statement = all`, `log_min_duration_statement = 0`) would
 * otherwise write the pseudonym keys and the record key into its log. COPY's rows are not logged.
 * They go into a session's temporary table (BIND_TABLE, made before its read-only transaction
 * starts: writing a temporary table is allowed in one) and from there into the settings.
 */

/** The setting a parameter's value is carried in. */
export function settingName(position: number): string {
  return `exdef.p${position}`;
}

/**
 * The compiled SQL with `$n` placeholders replaced by `current_setting(...)`. Placeholders inside
 * string literals or quoted identifiers (there are none in compiled SQL, but the scan is exact)
 * are left alone.
 */
export function withSettingParameters(sqlText: string, parameterCount: number): string {
  let out = '';
  let i = 0;
  while (i < sqlText.length) {
    const c = sqlText[i]!;
    if (c === "'" || c === '"') {
      // A quoted literal or identifier: copy through its closing quote (a doubled quote stays inside).
      let j = i + 1;
      for (;;) {
        const close = sqlText.indexOf(c, j);
        if (close < 0) throw new Error('internal: unterminated quote in compiled SQL');
        if (sqlText[close + 1] === c) {
          j = close + 2;
          continue;
        }
        j = close + 1;
        break;
      }
      out += sqlText.slice(i, j);
      i = j;
      continue;
    }
    if (c === '$' && /[0-9]/.test(sqlText[i + 1] ?? '')) {
      let j = i + 1;
      while (/[0-9]/.test(sqlText[j] ?? '')) j++;
      const position = Number(sqlText.slice(i + 1, j));
      if (position < 1 || position > parameterCount) throw new Error(`internal: compiled SQL refers to $${position} of ${parameterCount} parameters`);
      out += `current_setting('${settingName(position)}')`;
      i = j;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** The temporary table a session's values are copied into (see the top of this file). */
export const BIND_TABLE = 'exdef_bind';

/** Makes the session's bind table; before its transaction begins (CREATE is refused in a read-only one). */
export const CREATE_BIND_TABLE = `CREATE TEMPORARY TABLE IF NOT EXISTS ${BIND_TABLE} (position integer PRIMARY KEY, value text NOT NULL) ON COMMIT DELETE ROWS`;

/**
 * Sets `exdef.p1..pN` to `values` for the session's transaction without a bind parameter: the
 * values are copied into the bind table (COPY data, which no server log shows) and set from there.
 */
export async function bindAsSettings(session: Session, values: readonly string[]): Promise<void> {
  if (values.length === 0) return;
  await session.exec(`DELETE FROM pg_temp.${BIND_TABLE}`);
  await session.copyIn({ schema: 'pg_temp', table: BIND_TABLE, columns: ['position', 'value'] }, values.map((value, i) => copyLine([i + 1, value])));
  await session.exec(`SELECT set_config('exdef.p' || position, value, true) FROM pg_temp.${BIND_TABLE}`);
}

/**
 * A compiled query run with its values bound as settings (bindAsSettings), not as bind
 * parameters: for the queries of a run that may carry a key (the population, k-anonymity).
 */
export async function queryBound<R extends Record<string, unknown>>(session: Session, sqlText: string, values: readonly string[]): Promise<R[]> {
  await bindAsSettings(session, values);
  return session.query<R>(withSettingParameters(sqlText, values.length));
}
