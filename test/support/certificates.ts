/**
 * Self-signed recipient certificates for tests, valid from a day before the suite's clock (the
 * world date of test/support/world-clock.mjs) for `days`. openssl 3.0's `req -x509` can only start
 * a certificate at the real time, which is after the world's; `ca -selfsign` takes explicit dates.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `openssl ca` writes dates as YYYYMMDDHHMMSSZ. */
function asn1Time(ms: number): string {
  return `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/**
 * Writes `certificate` (PEM) in `dir` for the private key `key` (a PEM file in `dir`), subject
 * CN=`name`, valid from a day before now (the test's clock) for `days` days, or between the dates
 * given.
 */
export function selfSignedCertificate(dir: string, o: { key: string; certificate: string; name: string; days?: number; from?: Date; until?: Date }): string {
  const scratch = mkdtempSync(join(dir, '.ca-'));
  try {
    writeFileSync(join(scratch, 'ca.cnf'), '[ ca ]\ndefault_ca = test\n[ test ]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\ndefault_md = sha256\npolicy = any\n[ any ]\ncommonName = supplied\n');
    writeFileSync(join(scratch, 'index.txt'), '');
    writeFileSync(join(scratch, 'serial'), '01\n');
    const key = join(dir, o.key);
    const run = (args: string[]) => execFileSync('openssl', args, { cwd: scratch, stdio: ['ignore', 'ignore', 'pipe'] });
    run(['req', '-new', '-key', key, '-out', 'request.csr', '-subj', `/CN=${o.name}`]);
    const from = o.from?.getTime() ?? Date.now() - 86_400_000;
    const until = o.until?.getTime() ?? from + (o.days ?? 3650) * 86_400_000;
    const out = join(dir, o.certificate);
    run(['ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', key, '-in', 'request.csr', '-out', out, '-startdate', asn1Time(from), '-enddate', asn1Time(until), '-notext']);
    return out;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
