import { ExdefError } from '../failure.js';

/** What the user named as the database, with any password removed. */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
    const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
    const port = parsed.port || '5432';
    const database = parsed.pathname.replace(/^\//, '') || decodeURIComponent(parsed.username) || 'postgres';
    return `postgres://${user}${host}:${port}/${database}`;
  } catch {
    return 'the given PostgreSQL URL';
  }
}

const SQLSTATE_REASONS: Record<string, string> = {
  '28P01': 'password authentication failed',
  '28000': 'the server refused the login (no matching pg_hba.conf entry or no such role)',
  '3D000': 'the database does not exist',
  '57P03': 'the server is starting up or shutting down',
  '53300': 'the server has too many connections',
  '08001': 'the client could not establish a connection',
  '08006': 'the connection failed',
};

const ERRNO_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is the server running and listening there?)',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'the connection timed out',
  ECONNRESET: 'the server closed the connection',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOENT: 'no server socket at that path',
};

/** A one-line error that names the target (never the password); exit code 2. */
export function connectionError(target: string, error: unknown): ExdefError {
  const e = error as { code?: string; message?: string };
  const reason =
    (e.code && (SQLSTATE_REASONS[e.code] ?? ERRNO_REASONS[e.code])) ||
    firstLine(e.message ?? String(error)) ||
    'unknown error';
  return new ExdefError(`cannot connect to ${target}: ${reason}`, { exitCode: 2, step: 'connect', cause: error });
}

function firstLine(text: string): string {
  return (text.split('\n')[0] ?? '').trim();
}
