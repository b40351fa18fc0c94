/**
 * Practices' approvals for tests that run extracts: one fresh ed25519 key per test process
 * (node:crypto, no ssh-keygen), an allowed_signers file trusting it for every practice
 * (`*`), a provider configuration naming both, and approvals signed with it — the same files
 * `exdef approve` writes, so runs check them exactly as they check a practice's.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateEd25519KeyPair } from '../../src/approval/ed25519-keygen.js';
import { definitionToApprove } from '../../src/approval/approve-definition.js';
import { writeSignedRecord } from '../../src/approval/approval-file.js';
import { latestExpiry } from '../../src/approval/approval-status.js';
import { readSigningKey, type SigningKey } from '../../src/approval/sshsig.js';
import type { Catalogue } from '../../src/catalogue/catalogue.js';
import { catalogueIdentity } from '../../src/catalogue/catalogue-digest.js';
import { referenceCatalogue } from '../../src/catalogue/load-catalogue.js';

export interface TestProvider {
  /** The provider configuration (what --provider names). */
  file: string;
  directory: string;
  allowedSigners: string;
  /** The private key (OpenSSH format) trusted for every practice, for `exdef approve --key`. */
  keyFile: string;
  key: SigningKey;
  /** Approves the definitions for the practices (default: all of each); returns the provider file. */
  approve(definitions: string | readonly string[], practices?: readonly string[], catalogue?: Catalogue): string;
}

const providers = new Map<string, TestProvider>();
let processDirectory: string | undefined;

/**
 * The test provider in `work` (default: one directory for the test process), made on first use,
 * with `definitions` approved for `practices` (default: every practice of each) as of now. A
 * definition that does not read (a test of a broken one) is left unapproved; one approved
 * before with the same digest is not signed again.
 */
export function approvedProvider(definitions: string | readonly string[] = [], options: { work?: string; practices?: readonly string[]; catalogue?: Catalogue } = {}): TestProvider {
  const work = options.work ?? (processDirectory ??= temporaryDirectory());
  let provider = providers.get(work);
  if (!provider) {
    provider = makeProvider(work);
    providers.set(work, provider);
  }
  provider.approve(definitions, options.practices, options.catalogue);
  return provider;
}

function temporaryDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'exdef-approvals-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function makeProvider(work: string): TestProvider {
  const dir = join(work, 'provider');
  mkdirSync(dir, { recursive: true });
  const pair = generateEd25519KeyPair('exdef test approver');
  const keyFile = join(dir, 'approver.key');
  writeFileSync(keyFile, pair.private, { mode: 0o600 });
  writeFileSync(`${keyFile}.pub`, `${pair.public}\n`);
  const allowedSigners = join(dir, 'allowed_signers');
  writeFileSync(allowedSigners, `* namespaces="exdef-approval@nhs" ${pair.public}\n`);
  const file = join(dir, 'exdef.provider.yaml');
  writeFileSync(file, 'approvals:\n  directory: approvals\n  allowed_signers: allowed_signers\n');
  const directory = join(dir, 'approvals');
  const key = readSigningKey(keyFile);
  const signed = new Set<string>();
  /** Definition files already approved, by path, size and mtime: not read again (50 ms each). */
  const seen = new Set<string>();
  const provider: TestProvider = {
    file,
    directory,
    allowedSigners,
    keyFile,
    key,
    approve(definitions, practices, catalogue) {
      for (const path of typeof definitions === 'string' ? [definitions] : definitions) {
        let version: string;
        try {
          const stat = statSync(path);
          version = `${resolve(path)}|${stat.size}|${stat.mtimeMs}|${(practices ?? []).join(',')}|${catalogue ? catalogueIdentity(catalogue).digest : 'reference'}`;
        } catch {
          continue;
        }
        if (seen.has(version)) continue;
        seen.add(version);
        let d;
        try {
          d = definitionToApprove(resolve(path), catalogue ?? referenceCatalogue());
        } catch {
          continue;
        }
        if (!d.reviewed) continue;
        for (const practice of practices ?? d.practices) {
          const id = `${d.digest}|${practice}|${d.catalogue?.digest}`;
          if (signed.has(id)) continue;
          signed.add(id);
          writeSignedRecord(directory, {
            kind: 'approval',
            definition: d.id,
            version: d.version,
            title: d.title,
            fingerprint: d.fingerprint,
            digest: d.digest,
            practice,
            approvedBy: 'Test Approver',
            role: 'Caldicott Guardian',
            approvedAt: new Date().toISOString(),
            reviewed: d.reviewed,
            expires: latestExpiry(d.reviewed),
            ...(d.catalogue ? { catalogue: d.catalogue.name, catalogueDigest: d.catalogue.digest } : {}),
          }, key);
        }
      }
      return file;
    },
  };
  return provider;
}
