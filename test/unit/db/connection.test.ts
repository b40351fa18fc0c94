import { describe, expect, it } from 'vitest';
import { chooseDatabase, openDatabase } from '../../../src/db/open-database.js';
import { ExdefError } from '../../../src/failure.js';
import { adminUrl, testEngines } from '../../support/engines.js';

async function failure(url: string): Promise<ExdefError> {
  try {
    const db = await openDatabase({ url });
    await db.close();
  } catch (error) {
    expect(error).toBeInstanceOf(ExdefError);
    return error as ExdefError;
  }
  throw new Error(`expected ${url} to fail`);
}

describe('choosing a database', () => {
  it('uses the flag, then EXDEF_DATABASE_URL, then the embedded database in ./.exdef/pglite', () => {
    expect(chooseDatabase({ url: 'postgres://u@h/db', env: { EXDEF_DATABASE_URL: 'postgres://other@x/y' } })).toEqual({ engine: 'postgres', url: 'postgres://u@h/db' });
    expect(chooseDatabase({ env: { EXDEF_DATABASE_URL: 'postgres://other@x/y' } })).toEqual({ engine: 'postgres', url: 'postgres://other@x/y' });
    expect(chooseDatabase({ env: {} })).toEqual({ engine: 'pglite', dataDir: `${process.cwd()}/.exdef/pglite` });
    expect(chooseDatabase({ url: 'memory:', env: {} })).toEqual({ engine: 'pglite' });
    expect(chooseDatabase({ url: 'pglite:/tmp/x', env: {} })).toEqual({ engine: 'pglite', dataDir: '/tmp/x' });
  });

  it('refuses an unsupported URL with a usage error that hides the password', () => {
    expect(() => chooseDatabase({ url: 'mysql://root:hunter2@db/x', env: {} })).toThrow(/unsupported database "mysql:\/\/root:\*\*\*@db\/x"/);
    try {
      chooseDatabase({ url: 'mysql://root:hunter2@db/x', env: {} });
    } catch (error) {
      expect((error as ExdefError).exitCode).toBe(2);
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});

describe('connection errors', () => {
  it('a refused connection is one line naming the target, exit code 2', async () => {
    const error = await failure('postgres://someone:s3cret-pw@127.0.0.1:1/reporting');
    expect(error.message).toBe('cannot connect to postgres://someone@127.0.0.1:1/reporting: connection refused (is the server running and listening there?)');
    expect(error.exitCode).toBe(2);
    expect(error.message).not.toContain('s3cret-pw');
  });

  it('an unknown host is named', async () => {
    const error = await failure('postgres://someone@no-such-host.invalid:5432/reporting');
    expect(error.message).toMatch(/^cannot connect to postgres:\/\/someone@no-such-host\.invalid:5432\/reporting: (host not found|host name lookup failed)$/);
  });

  it.runIf(testEngines().includes('postgres'))('a wrong password is reported without the password', async () => {
    const url = new URL(adminUrl());
    url.password = 'definitely-wrong-password';
    const error = await failure(url.toString());
    expect(error.message).toBe(`cannot connect to postgres://${url.username}@${url.hostname}:${url.port}/postgres: password authentication failed`);
    expect(error.message).not.toContain('definitely-wrong-password');
    expect(error.exitCode).toBe(2);
  });

  it.runIf(testEngines().includes('postgres'))('a missing database is reported as such', async () => {
    const url = new URL(adminUrl());
    url.pathname = '/exdef_no_such_database';
    const error = await failure(url.toString());
    expect(error.message).toBe(`cannot connect to postgres://${url.username}@${url.hostname}:${url.port}/exdef_no_such_database: the database does not exist`);
  });
});

describe('a connection string exdef cannot use is named without its password', () => {
  it.each([
    ['host=db.internal user=exdef_extract password=S3cretPW dbname=reporting', 'S3cretPW'],
    ["host=db password = 'a b\\'c' dbname=x", "a b\\'c"],
    ['postgress://exdef:S3c/retPW@db.internal/reporting', 'S3c/retPW'],
    ['postgres//exdef:ab:S3cretPW@db.internal/reporting', 'S3cretPW'],
    ['mysql://user:p@ss@word@host/db', 'p@ss'],
  ])('%s', (url, secret) => {
    let message = '';
    try {
      chooseDatabase({ url, env: {} });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^unsupported database/);
    expect(message).not.toContain(secret);
    expect(message).not.toContain(secret.slice(0, 3));
  });
});
