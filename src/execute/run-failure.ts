import { ExdefError, isExdefError } from '../failure.js';

/**
 * A failure during a run, as one line that says what failed and where: a lost connection, a
 * statement that ran too long, a full disk, a database that refused a query. Bugs (anything else)
 * stay what they are, and end as internal errors.
 */
export function runFailure(error: unknown, step: string, target: string, statementTimeoutSeconds: number): unknown {
  if (isExdefError(error)) return error;
  const e = error as NodeJS.ErrnoException & { code?: string; severity?: string; routine?: string };
  const message = firstLine(e?.message ?? String(error));
  const make = (what: string, hints: string[] = []) => new ExdefError(`${step}: ${what}`, { exitCode: 1, step: 'run', hints, cause: error });
  const code = e?.code;
  if (code === '57P01' || code === '57P02' || code === '57P03' || /terminating connection/.test(message)) {
    return make(`the database connection to ${target} was lost (the server ended it: ${message})`, ['nothing was delivered and the state is unchanged: run again']);
  }
  if (code === '57014') {
    return make(`a statement ran longer than the statement timeout (${statementTimeoutSeconds} s) and was cancelled`, ['raise --statement-timeout, or run outside busy hours']);
  }
  if (code && /^08/.test(code)) return make(`the database connection to ${target} failed (${message})`, ['nothing was delivered and the state is unchanged: run again']);
  if (/Connection terminated|connection.*closed|ECONNRESET|EPIPE|Client has encountered a connection error/i.test(message) || code === 'ECONNRESET' || code === 'EPIPE') {
    return make(`the database connection to ${target} was lost (${message})`, ['nothing was delivered and the state is unchanged: run again']);
  }
  if (code === 'ENOSPC') return make(`the disk is full (${e.path ?? 'writing the output'})`, ['free space in the output directory and run again']);
  if (code === 'EACCES' || code === 'EPERM') return make(`permission denied (${e.path ?? message})`);
  if (code === 'EROFS') return make(`the file system is read-only (${e.path ?? message})`);
  if (code === 'EDQUOT') return make(`the disk quota is exhausted (${e.path ?? message})`);
  if (code === '53100') return make(`the database server's disk is full (${message})`);
  if (code === '53200') return make(`the database server is out of memory (${message})`);
  if (code === '42P01' || code === '42703') return make(`the database does not match the catalogue: ${message}`, ['run `exdef db init`, or give the catalogue that describes this database with --catalogue']);
  if (code === '42501') return make(`the database refused access: ${message}`, ['the extract user needs SELECT on the reporting and terminology schemas']);
  if (e?.severity && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return make(`the database reported an error (${code}): ${message}`);
  return error;
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').trim();
}
