import { readFileSync } from 'node:fs';
import { decidePractices, type ApprovalStatus } from '../approval/approval-status.js';
import { approvalStatuses } from '../approval/practice-approvals.js';
import type { DeliveryConfig } from './delivery-config.js';
import { readClientKey } from './delivery-config.js';
import { attempts, itemFile, lockOutbox, markDelivered, pendingItems, recordAttempt, type OutboxItem, type Receipt } from './outbox.js';
import { DeliveryError, sendFiles, type OutgoingFile, type SentFile, type SftpDestination, type SftpOptions } from './sftp.js';

export interface DeliveryEvents {
  step(message: string): void;
  warn(message: string): void;
}

export interface DeliverOptions {
  config: DeliveryConfig;
  /** Only this definition's items (what `run` sends right after packaging); default: all. */
  definitionId?: string;
  events: DeliveryEvents;
  /** How files reach the server (the SFTP client; tests may count or interpose). */
  send?: (destination: SftpDestination, files: readonly OutgoingFile[], options: SftpOptions) => Promise<SentFile[]>;
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
}

export interface DeliveryFailure {
  item: string;
  definition: string;
  step: string;
  message: string;
  attempts: number;
}

export interface DeliveryReport {
  outbox: string;
  delivered: { item: string; definition: string; mode: 'full' | 'delta'; snapshot: string; files: { remote: string; bytes: number; sha256: string }[] }[];
  failed: DeliveryFailure[];
  /** Items not tried because an older item of the same definition failed: they keep the order. */
  waiting: { item: string; definition: string; behind: string }[];
}

/**
 * Sends what is pending in the outbox, oldest first, each item over its own connection with
 * `retries` further attempts after a retryable failure (waiting backoff, 2 x backoff, 4 x ...).
 * An item that still fails holds back every newer item of its definition (a delta is never
 * delivered before the one it follows); other definitions carry on. Delivered items get a
 * receipt and leave pending/.
 */
export async function deliverOutbox(o: DeliverOptions): Promise<DeliveryReport> {
  const send = o.send ?? sendFiles;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = o.now ?? (() => new Date());
  const report: DeliveryReport = { outbox: o.config.outbox, delivered: [], failed: [], waiting: [] };
  const unlock = lockOutbox(o.config.outbox);
  try {
    const items = pendingItems(o.config.outbox).filter((item) => !o.definitionId || item.definition.id === o.definitionId);
    if (items.length === 0) return report;
    const clientKey = readClientKey(o.config);
    const blocked = new Map<string, string>();
    // The approvals as they stand now, read once for every item (decided by the clock's date).
    const at = now();
    const statuses = o.config.approvals ? approvalStatuses(o.config.approvals, at.toISOString().slice(0, 10), undefined, at) : undefined;
    for (const item of items) {
      const ahead = blocked.get(item.definition.id);
      if (ahead) {
        report.waiting.push({ item: item.id, definition: item.definition.id, behind: ahead });
        continue;
      }
      const withdrawn = statuses ? withdrawnApproval(statuses, o.config.outbox, item) : undefined;
      if (withdrawn) {
        // Not sent, not retried: held until the operator discards it (`exdef deliver --discard`).
        recordAttempt(o.config.outbox, item, { at: now().toISOString(), step: 'approvals', message: withdrawn });
        report.failed.push({ item: item.id, definition: item.definition.id, step: 'approvals', message: withdrawn, attempts: attempts(o.config.outbox, item).length });
        blocked.set(item.definition.id, item.id);
        continue;
      }
      const outcome = await deliverItem(o, item, clientKey, send, sleep, now);
      if ('failure' in outcome) {
        report.failed.push(outcome.failure);
        blocked.set(item.definition.id, item.id);
      } else {
        report.delivered.push({
          item: item.id,
          definition: item.definition.id,
          mode: item.mode,
          snapshot: item.snapshot,
          files: outcome.receipt.files.map((f) => ({ remote: f.remote, bytes: f.bytes, sha256: f.sha256 })),
        });
      }
    }
    return report;
  } finally {
    unlock();
  }
}

async function deliverItem(
  o: DeliverOptions,
  item: OutboxItem,
  clientKey: Buffer,
  send: NonNullable<DeliverOptions['send']>,
  sleep: (ms: number) => Promise<void>,
  now: () => Date,
): Promise<{ receipt: Receipt } | { failure: DeliveryFailure }> {
  const d = item.destination;
  const files: OutgoingFile[] = item.files.map((f) => ({ local: itemFile(o.config.outbox, item, f), remote: f.remote, sha256: f.sha256, kind: f.kind }));
  const options: SftpOptions = {
    clientKey,
    clientKeyFile: o.config.clientKey!,
    connectTimeoutSeconds: o.config.connectTimeoutSeconds,
    stallTimeoutSeconds: o.config.stallTimeoutSeconds,
  };
  for (let attempt = 1; ; attempt++) {
    o.events.step(`delivering ${item.definition.id} (${item.mode}, snapshot ${item.snapshot}) to ${d.user}@${d.host}:${d.port}${d.directory}${attempt > 1 ? `, attempt ${attempt}` : ''}`);
    try {
      const sent = await send(d, files, options);
      return { receipt: markDelivered(o.config.outbox, item, { deliveredAt: now().toISOString(), attempts: attempts(o.config.outbox, item).length + 1, files: sent }) };
    } catch (error) {
      const retryable = error instanceof DeliveryError && error.retryable;
      const step = (error as DeliveryError).step ?? 'delivery';
      const message = (error as Error).message;
      if (!(error instanceof DeliveryError) && (error as { exitCode?: number }).exitCode === 2) throw error;
      recordAttempt(o.config.outbox, item, { at: now().toISOString(), step, message });
      if (!retryable || attempt > o.config.retries) {
        return { failure: { item: item.id, definition: item.definition.id, step, message, attempts: attempts(o.config.outbox, item).length } };
      }
      const wait = o.config.backoffSeconds * 2 ** (attempt - 1);
      o.events.warn(`${step}: ${message}; trying again in ${wait} s`);
      await sleep(wait * 1000);
    }
  }
}

/**
 * Why an extract may no longer be sent, if it may not: a practice whose data it holds (the
 * manifest's practices) has no valid approval of this definition's version by the clock now — its
 * approval was revoked or expired after the run, its key is no longer trusted, or a revocation of
 * it cannot be verified — as decidePractices judges a run's practices, on `statuses` (every
 * approval and revocation, judged for its own definition). The practice is the data controller:
 * what it withdrew does not leave.
 */
export function withdrawnApproval(statuses: readonly ApprovalStatus[], outbox: string, item: OutboxItem): string | undefined {
  const manifestFile = item.files.find((f) => f.name.endsWith('.manifest.json'));
  let practices: string[];
  try {
    practices = (JSON.parse(readFileSync(itemFile(outbox, item, manifestFile!), 'utf8')) as { practices: string[] }).practices;
    if (!Array.isArray(practices)) throw new Error('no practices');
  } catch {
    return `its manifest cannot be read, so which practices' data it holds is not known: it is not sent`;
  }
  // Approvals of another version of the definition do not hold for this extract.
  const ofThisVersion = statuses.filter((s) => s.kind !== 'approval' || s.version === item.definition.version);
  const withdrawn = decidePractices(item.definition, practices, ofThisVersion).filter((d) => !d.approved);
  if (withdrawn.length === 0) return undefined;
  const reasons = withdrawn.map((d) => `${d.practice}: ${d.reason}`).join('; ');
  return `the extract holds data of practices whose approval no longer holds (${reasons}): it is not sent; discard it with \`exdef deliver --discard ${item.id}\` and make a new baseline (\`exdef run --full\`)`;
}
