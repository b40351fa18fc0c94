/**
 * COPY takes no bind parameters, and no value may be written into SQL text. So the values of a
 * compiled query are set as transaction-local settings (`set_config('exdef.pN', $1, true)`, itself
 * parameterised) and the query reads them with `current_setting('exdef.pN')`: every `$n` of the
 * compiled SQL (always followed by its cast, `$3::date`) becomes `current_setting('exdef.p3')`,
 * so `current_setting('exdef.p3')::date`. The plan is the same; the values never touch the text.
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

/** `SELECT set_config('exdef.p1', $1, true), ...`: binds every value of a query for this transaction. */
export function setConfigStatement(parameterCount: number): string {
  const calls = Array.from({ length: parameterCount }, (_, i) => `set_config('${settingName(i + 1)}', $${i + 1}, true)`);
  return `SELECT ${calls.length > 0 ? calls.join(', ') : 'NULL'}`;
}
