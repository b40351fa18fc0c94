import type { ExtractDefinition, Frequency, Output } from '../ir/extract-definition.js';
import type { ChangeKind } from './change.js';
import { sameMeaning } from './canonical-key.js';
import { shown, type DraftChange } from './draft-change.js';

/**
 * Changes to what a definition says about itself and how it runs: identity, purpose, legal
 * basis, governance texts, processing location, mode, schedule and output.
 */
export function diffGovernance(before: ExtractDefinition, after: ExtractDefinition): DraftChange[] {
  const changes: DraftChange[] = [];
  const scalar = (
    kind: ChangeKind,
    path: string,
    get: (d: ExtractDefinition) => string | number | undefined,
    set: (d: ExtractDefinition, value: ExtractDefinition) => void,
    judge: (b: string | number | undefined, a: string | number | undefined) => { review: boolean; explanation: string; kind?: ChangeKind },
  ) => {
    const [b, a] = [get(before), get(after)];
    if (b === a) return;
    const { review, explanation, kind: judged } = judge(b, a);
    changes.push({ kind: judged ?? kind, path, ...values(shown(b), shown(a)), explanation, review, apply: (d) => set(d, after) });
  };

  scalar('id-changed', 'id', (d) => d.id, (d, n) => (d.id = n.id), () => ({ review: false, explanation: 'a new id makes it another extract: its delivery history and delta state start afresh' }));
  scalar('title-changed', 'title', (d) => d.title, (d, n) => (d.title = n.title), () => ({ review: false, explanation: 'the title is a label; it does not change the data' }));
  scalar('version-changed', 'version', (d) => d.version, (d, n) => (d.version = n.version), () => ({ review: false, explanation: 'the version number does not change the data' }));
  scalar('owner-changed', 'owner.organisation', (d) => d.owner.organisation, (d, n) => (d.owner.organisation = n.owner.organisation), () => ({
    review: true,
    explanation: 'another organisation owns the extract: the recipient of the data changes',
  }));
  scalar('owner-changed', 'owner.contact', (d) => d.owner.contact, (d, n) => (d.owner.contact = n.owner.contact), () => ({ review: false, explanation: 'the contact changed; it does not change the data' }));
  scalar('use-case-changed', 'use_case', (d) => d.useCase, (d, n) => (d.useCase = n.useCase), () => ({ review: true, explanation: 'the purpose of the extract changes: the approval was for the old use case' }));
  scalar('care-type-changed', 'care_type', (d) => d.careType, (d, n) => (d.careType = n.careType), (_, a) => ({
    review: true,
    explanation: `the extract is now for ${a} care: the legal basis and the opt-outs that apply change with it`,
  }));

  for (const [key, path] of [
    ['article6', 'legal_basis.article_6'],
    ['article9', 'legal_basis.article_9'],
    ['dataProvisionNotice', 'legal_basis.data_provision_notice'],
  ] as const) {
    const name = key === 'dataProvisionNotice' ? 'the data provision notice' : `the Article ${key.slice(-1)} condition`;
    scalar(
      'legal-basis-changed',
      path,
      (d) => d.legalBasis[key],
      (d, n) => {
        if (n.legalBasis[key] === undefined) delete d.legalBasis[key];
        else d.legalBasis[key] = n.legalBasis[key];
      },
      (b, a) =>
        b === undefined
          ? { kind: 'legal-basis-added', review: false, explanation: `${name} is added: the legal basis is stated more fully` }
          : a === undefined
            ? { kind: 'legal-basis-weakened', review: true, explanation: `${name} is removed: the legal basis is weakened` }
            : { review: true, explanation: `${name} changes: the legal basis is not the one approved` },
    );
  }

  const governanceTexts: [string, (d: ExtractDefinition) => string | undefined, (d: ExtractDefinition, v: string | undefined) => void][] = [
    ['intended_use', (d) => d.intendedUse, (d, v) => setOptional(d, 'intendedUse', v)],
    ['legal_basis.statement', (d) => d.legalBasis.statement, (d, v) => setOptional(d.legalBasis, 'statement', v)],
    ['dpia', (d) => d.dpia, (d, v) => setOptional(d, 'dpia', v)],
    ['risk.singling_out', (d) => d.risk.singlingOut, (d, v) => setOptional(d.risk, 'singlingOut', v)],
    ['risk.linkability', (d) => d.risk.linkability, (d, v) => setOptional(d.risk, 'linkability', v)],
    ['review.last_reviewed', (d) => d.review.lastReviewed, (d, v) => setOptional(d.review, 'lastReviewed', v)],
    ['review.reviewer', (d) => d.review.reviewer, (d, v) => setOptional(d.review, 'reviewer', v)],
  ];
  for (const [path, get, set] of governanceTexts) {
    scalar('governance-changed', path, get, (d, n) => set(d, get(n)), (b, a) => ({
      review: false,
      explanation: `governance text ${b === undefined ? 'added' : a === undefined ? 'removed' : 'edited'}; it does not change the data`,
    }));
  }

  scalar('processing-location-changed', 'processing_location', (d) => d.processingLocation, (d, n) => (d.processingLocation = n.processingLocation), (_, a) =>
    a === 'uk'
      ? { review: false, explanation: 'the data is now processed in the UK only' }
      : { review: true, explanation: 'the data would be processed outside the UK, which the policy does not allow without review' },
  );
  scalar('mode-changed', 'mode', (d) => d.mode, (d, n) => (d.mode = n.mode), (_, a) => ({
    review: false,
    explanation: a === 'delta' ? 'runs now send only what changed since the last run, starting from a full extract' : 'every run now sends the whole extract',
  }));
  scalar('schedule-changed', 'schedule.frequency', (d) => d.schedule.frequency, (d, n) => (d.schedule.frequency = n.schedule.frequency), (b, a) =>
    FREQUENCY_RANK[a as Frequency] < FREQUENCY_RANK[b as Frequency]
      ? { review: true, explanation: `runs more often (${a} instead of ${b}): more frequent snapshots reveal more about changes` }
      : { review: false, explanation: `runs less often (${a} instead of ${b})` },
  );
  const window = (d: ExtractDefinition) => (d.schedule.window ? `${d.schedule.window.start}-${d.schedule.window.end}` : undefined);
  scalar('schedule-changed', 'schedule.window', window, (d, n) => setOptional(d.schedule, 'window', n.schedule.window), () => ({
    review: false,
    explanation: 'the run window moves; it does not change the data',
  }));
  changes.push(...diffOutput(before, after));
  return changes;
}

/** Most frequent first. */
const FREQUENCY_RANK: Record<Frequency, number> = { hourly: 1, twice_daily: 2, daily: 3, weekly: 4, fortnightly: 5, monthly: 6, quarterly: 7 };

function diffOutput(before: ExtractDefinition, after: ExtractDefinition): DraftChange[] {
  const changes: DraftChange[] = [];
  const csvKeys = [
    ['delimiter', 'output.csv.delimiter'],
    ['quote', 'output.csv.quote'],
    ['header', 'output.csv.header'],
    ['lineEnding', 'output.csv.line_ending'],
  ] as const;
  for (const [key, path] of csvKeys) {
    const [b, a] = [before.output.csv[key], after.output.csv[key]];
    if (b === a) continue;
    changes.push({
      kind: 'output-changed',
      path,
      ...values(JSON.stringify(b), JSON.stringify(a)),
      explanation: 'the CSV files are written differently; the same data is sent',
      review: false,
      apply: (d) => ((d.output.csv as Record<string, unknown>)[key] = a),
    });
  }
  if (before.output.layout !== after.output.layout) {
    changes.push({
      kind: 'output-changed',
      path: 'output.layout',
      ...values(before.output.layout, after.output.layout),
      explanation: 'the files are laid out differently in the ZIP; the same data is sent',
      review: false,
      apply: (d) => (d.output.layout = after.output.layout),
    });
  }
  if (before.output.compression !== after.output.compression) {
    changes.push({
      kind: 'output-changed',
      path: 'output.compression',
      ...values(before.output.compression ?? 'fast', after.output.compression ?? 'fast'),
      explanation: 'the ZIP is compressed differently; the recipient unzips the same CSV files',
      review: false,
      apply: (d) => setOptional(d.output, 'compression', after.output.compression),
    });
  }
  const [cb, ca] = [before.output.encryption?.certificate, after.output.encryption?.certificate];
  if (cb !== ca) {
    changes.push({
      kind: 'encryption-changed',
      path: 'output.encryption.certificate',
      ...values(cb, ca),
      explanation:
        cb === undefined
          ? 'the output is now encrypted to the recipient'
          : ca === undefined
            ? 'the output is no longer encrypted'
            : 'the output is encrypted to another certificate: someone else can read it',
      review: cb !== undefined,
      apply: (d) => setOptional(d.output, 'encryption', after.output.encryption),
    });
  }
  if (!sameMeaning(before.output.delivery, after.output.delivery)) {
    const [db, da] = [describeDelivery(before.output.delivery), describeDelivery(after.output.delivery)];
    changes.push({
      kind: 'delivery-changed',
      path: 'output.delivery',
      ...values(db, da),
      explanation:
        after.output.delivery.kind === 'none'
          ? 'the output is no longer delivered to the approved endpoint'
          : before.output.delivery.kind === 'none'
            ? 'the output is now sent to an SFTP endpoint'
            : 'the output goes to another endpoint (host, account, directory or host key)',
      review: true,
      apply: (d) => (d.output.delivery = after.output.delivery),
    });
  }
  return changes;
}

function describeDelivery(delivery: Output['delivery']): string {
  if (delivery.kind === 'none') return 'none';
  const key = delivery.hostKey.length > 24 ? `${delivery.hostKey.slice(0, 21)}...` : delivery.hostKey;
  return `sftp ${delivery.user}@${delivery.host}:${delivery.port}${delivery.directory.startsWith('/') ? '' : '/'}${delivery.directory} (host key ${key})`;
}

/** `before`/`after` properties, leaving out the absent one. */
export function values(before: string | undefined, after: string | undefined): { before?: string; after?: string } {
  return { ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) };
}

/** Sets or deletes an optional property (the IR leaves absent values out). */
export function setOptional<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value === undefined) delete target[key];
  else target[key] = value;
}
