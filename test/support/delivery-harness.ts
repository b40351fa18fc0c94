/**
 * What the delivery end-to-end tests share: a definition that delivers by SFTP to the throwaway
 * sshd, the provider configuration naming the client key and the outbox, and the one place a run
 * that delivers is invoked (so that a step before it — an approval — is added in one place).
 */
import { approvedProvider, type TestProvider } from './approvals.js';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliResult } from './cli.js';
import { runArgs, type RunOptions } from './run-harness.js';
import type { SftpServer } from './sftp-server.js';

/** `definition` with `output.delivery.sftp` to `directory` on the server (the key pinned by fingerprint), written to `to`. */
export function deliveringDefinition(definition: string, to: string, server: SftpServer, directory: string): string {
  const text = readFileSync(definition, 'utf8');
  const layout = /^ {2}layout: .*\n/m.exec(text);
  if (!layout) throw new Error(`${definition} has no output.layout line to add the delivery after`);
  const delivery = [
    '  delivery:',
    '    sftp:',
    `      host: ${server.host}`,
    `      port: ${server.port}`,
    `      user: ${server.user}`,
    `      directory: ${directory}`,
    `      host_key: "${server.hostKeyFingerprint}"`,
    '',
  ].join('\n');
  writeFileSync(to, text.replace(layout[0], `${layout[0]}${delivery}`));
  return to;
}

/**
 * The approvals section of a test provider configuration: the test process's approvals
 * (test/support/approvals.ts), where the run harness approves each definition it runs.
 */
export function approvalsSection(approvals: Pick<TestProvider, 'directory' | 'allowedSigners'> = approvedProvider()): string[] {
  return ['approvals:', `  directory: ${JSON.stringify(approvals.directory)}`, `  allowed_signers: ${JSON.stringify(approvals.allowedSigners)}`];
}

/** A provider configuration in `dir`: the client key (copied beside it, 0600) and the outbox, retries without waiting. */
export function providerConfig(dir: string, server: SftpServer, extra: Record<string, number> = {}, approvals?: TestProvider): { file: string; outbox: string } {
  copyFileSync(server.key, join(dir, 'client_ed25519'));
  const settings = { retries: 1, backoff_seconds: 0, connect_timeout_seconds: 10, stall_timeout_seconds: 10, ...extra };
  const file = join(dir, 'exdef.provider.yaml');
  writeFileSync(
    file,
    [...approvalsSection(approvals), 'delivery:', '  client_key: client_ed25519', '  outbox: outbox', ...Object.entries(settings).map(([k, v]) => `  ${k}: ${v}`), ''].join('\n'),
  );
  return { file, outbox: join(dir, 'outbox') };
}

/**
 * `exdef run ... --json --provider FILE` for a definition that delivers. The one place such a run
 * is made: a step every run needs first (approving the definition) belongs here.
 */
export function runDelivering(o: RunOptions & { provider: string }): CliResult {
  return runCli(runArgs({ ...o, extra: ['--provider', o.provider, ...(o.extra ?? [])] }), o.env ? { env: o.env } : {});
}

/** `exdef deliver --json --provider FILE`. */
export function deliverCli(provider: string, extra: string[] = []): CliResult {
  return runCli(['deliver', '--provider', provider, '--json', ...extra]);
}

/** The item directories pending in the outbox. */
export function pendingInOutbox(outbox: string): string[] {
  try {
    return readdirSync(join(outbox, 'pending')).sort();
  } catch {
    return [];
  }
}
