import { Args, Flags } from '@oclif/core';
import { basename, join } from 'node:path';
import { paletteFor, renderDiagnostics } from '../../diagnostics/render-terminal.js';
import type { Database } from '../../db/database.js';
import type { RunEvents, RunResult } from '../../execute/run-extract.js';
import { ExdefError } from '../../failure.js';
import { definitionFileArgument } from '../definition-files.js';
import { ExdefCommand } from '../exdef-command.js';
import { jsonErrorLine } from '../json-error.js';
import { drained } from '../drained.js';
import { todayFromFlag } from '../lint-context-for-cli.js';
import { catalogueForCommand } from '../load-catalogue-for-cli.js';
import { catalogueFlag, databaseFlag, jsonFlag, providerFlag } from '../shared-flags.js';
import { approvalsOf, loadProviderConfigFrom, type ProviderConfig } from '../../provider/provider-config.js';
import type { DeliveryConfig } from '../../deliver/delivery-config.js';
import type { DeliveryReport } from '../../deliver/deliver-outbox.js';

export default class Run extends ExdefCommand {
  static override summary = 'Run an approved definition into a ZIP of CSVs, with manifest and log file';
  static override description = [
    'Lints the definition (a definition with errors never runs), reads every dataset from one consistent read-only snapshot, streams each to CSV in the definition\'s dialect (COPY, on PostgreSQL and on the embedded database alike), measures k-anonymity on the data, and packages the CSVs — one per dataset, or a folder per practice — with manifest.json into one ZIP, S/MIME-encrypted (AES-256) to the recipient\'s certificate when the definition or --encrypt-to names one. The log file logs/im1_bulk_log_<date>.txt (seed 000\'s format) is written beside it; a failed run keeps its own log beside it (im1_bulk_log_<date>.failed-HHMMSS.txt) and never replaces the log of a run that completed. The output directory, the definition (lint), the keys and the certificate are checked before any database is opened or seeded. Files are written under temporary names and renamed when complete.',
    'A delta definition\'s first run, a --full run and a run after the definition changed (a new fingerprint, or another output layout) are full extracts; the others are deltas made by comparison: every dataset is extracted in full and compared with what the recipient holds, so upserts and deletions bring its copy to a fresh full extract, whatever changed (rows, a today() window, the terminology, patients leaving or coming back, rows committed late). The state (in the schema exdef_state of the database) advances only once the output is in place.',
    'A definition that delivers by SFTP (output.delivery.sftp) puts the finished extract — the ZIP or .zip.enc, a manifest beside it, the log file — in the outbox of the provider configuration (--provider, EXDEF_PROVIDER or ./exdef.provider.yaml) before the state advances, and sends it at once (see `exdef deliver`); --no-deliver leaves it in the outbox. A delivery that fails after a complete extract exits 1 and says so: the extract is safe in the outbox and `exdef deliver` sends it.',
    'Without --database (or EXDEF_DATABASE_URL) the run uses the embedded database in ./.exdef/pglite, seeding a synthetic population and the sample terminology first when it is empty. Exit codes: 0 complete, 1 the run failed or was refused, 2 usage or configuration errors.',
  ].join('\n\n');
  static override examples = [
    { description: 'A run on the embedded database (seeded on first use), for the practices that approved it', command: '<%= config.bin %> run definitions/chis-immunisations.exdef.yaml --keys keys.yaml --provider exdef.provider.yaml' },
    { description: 'On PostgreSQL, into a directory the delivery picks up', command: '<%= config.bin %> run definitions/phm-warehouse.exdef.yaml --database postgres://exdef@db/reporting --out /srv/extracts/phm --keys /etc/exdef/keys.yaml' },
    { description: 'A full extract of a delta definition for one practice, encrypted to a certificate', command: '<%= config.bin %> run definitions/chis-immunisations.exdef --practice A81001 --encrypt-to certificate.pem' },
    { description: 'From cron: no progress display, a JSON summary', command: '<%= config.bin %> run definitions/chis-immunisations.exdef.yaml --quiet --json' },
  ];
  static override args = {
    file: Args.string({ description: 'The approved definition (YAML or exdef language)', required: true }),
  };
  static override flags = {
    database: databaseFlag,
    provider: providerFlag,
    out: Flags.string({ char: 'o', description: 'Output directory (default: extracts/<definition file name>)', helpValue: 'DIR' }),
    today: Flags.string({ description: 'The extract date: the population, today() and ages are judged on it (YYYY-MM-DD; default: today, UTC)', helpValue: 'DATE' }),
    full: Flags.boolean({ description: 'A full extract even when a delta is due (the delta state starts again from it)' }),
    practice: Flags.string({ description: 'Run for this practice only (repeatable): a full extract of it, its manifest scoped to it (a recipient applies its rows as upserts), which the delta state records as sent', helpValue: 'ODS', multiple: true }),
    force: Flags.boolean({ description: 'Run even when the schedule says it is not due' }),
    keys: Flags.string({ description: 'YAML file of pseudonym keys (name: key); otherwise EXDEF_KEY_<NAME> variables', helpValue: 'FILE' }),
    'encrypt-to': Flags.string({ description: "Recipient's certificate (PEM): deliver the ZIP S/MIME-encrypted as .zip.enc", helpValue: 'FILE' }),
    concurrency: Flags.integer({ description: 'Datasets extracted at once on PostgreSQL, each on its own connection in the one snapshot', default: 2, min: 1, max: 8 }),
    'statement-timeout': Flags.integer({ description: 'Cancel any one statement after this many seconds', default: 3600, min: 1, helpValue: 'SECONDS' }),
    policy: Flags.string({ description: "An organisation's policy file, applied on top of the IM1 policy", helpValue: 'FILE' }),
    terminology: Flags.string({ description: 'SNOMED CT RF2 snapshot directory lint evaluates code sets in (default: the shipped sample)', helpValue: 'DIR' }),
    catalogue: catalogueFlag,
    deliver: Flags.boolean({ description: 'Deliver by SFTP right after packaging when the definition says so (--no-deliver: leave the extract in the outbox for `exdef deliver`)', default: true, allowNo: true }),
    quiet: Flags.boolean({ char: 'q', description: 'Print errors only (for cron)' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Run);
    const extractDate = todayFromFlag(flags.today);
    definitionFileArgument(args.file);
    for (const practice of flags.practice ?? []) {
      if (!/^[A-Z][A-Z0-9]{2,7}$/.test(practice)) throw new ExdefError(`--practice ${JSON.stringify(practice)} is not an ODS code (e.g. A81001)`, { exitCode: 2 });
    }
    const catalogue = catalogueForCommand(flags.catalogue);
    // Read once: its approvals decide the practices, its delivery section the outbox and client key.
    const provider = loadProviderConfigFrom(flags.provider);
    // An empty --out (an unset variable in a script) would put the extract in the working directory.
    if (flags.out?.trim() === '') throw new ExdefError('--out is empty: name the output directory', { exitCode: 2 });
    const out = flags.out ?? join('extracts', basename(args.file).replace(/\.exdef(\.ya?ml)?$/, ''));
    const events = reporter(flags.quiet || flags.json, process.stderr);
    const { prepareRun, runExtract, RunRefused } = await import('../../execute/run-extract.js');
    const { failRun, removeWork } = await import('../../execute/run/fail.js');
    const started = new Date();
    /** The one failure path (execute/run/fail.ts) for what fails around the run itself: the error to throw. */
    const failed = (error: unknown, step: string) => failRun(error, { out, extractDate, started, completed: new Date(), files: 0, step, statementTimeoutSeconds: flags['statement-timeout'] });
    const options = {
      file: args.file,
      approvals: provider ? approvalsOf(provider) : undefined,
      catalogue,
      out,
      extractDate,
      full: flags.full,
      ...(flags.practice ? { practices: flags.practice } : {}),
      force: flags.force,
      ...(flags['encrypt-to'] ? { encryptTo: flags['encrypt-to'] } : {}),
      ...(flags.keys ? { keysFile: flags.keys } : {}),
      env: process.env,
      concurrency: flags.concurrency,
      statementTimeoutSeconds: flags['statement-timeout'],
      ...(flags.policy ? { policyFile: flags.policy } : {}),
      ...(flags.terminology ? { terminologyDir: flags.terminology } : {}),
      events,
    };
    // Cheap checks first: the output directory, lint, keys and certificate, before a database is
    // opened (and, the first time, seeded for a minute).
    let prepared;
    try {
      prepared = await prepareRun(options);
    } catch (error) {
      if (error instanceof RunRefused) process.stderr.write(renderDiagnostics(error.diagnostics.filter((d) => d.severity !== 'info'), undefined, paletteFor(process.stderr)));
      throw failed(error, 'preparing the run');
    }
    // A definition that delivers by SFTP: the outbox (and, to send at once, the client key) first.
    const sftp = prepared.definition.output.delivery.kind === 'sftp' ? prepared.definition.output.delivery : undefined;
    let delivery: DeliveryConfig | undefined;
    if (sftp) {
      try {
        delivery = await deliveryForRun(provider, flags.deliver);
      } catch (error) {
        throw failed(error, 'preparing the delivery');
      }
    }
    let db: Database;
    try {
      const { openEmbeddedSeeded } = await import('../../db/embedded.js');
      db = await openEmbeddedSeeded({ url: flags.database, catalogue, asOf: extractDate, ...(flags.quiet || flags.json ? {} : { onSeeding: (message: string) => events.step(message) }) });
    } catch (error) {
      throw failed(error, 'opening the database');
    }
    // Interrupted (Ctrl-C, a cron timeout's SIGTERM): remove the temporary files, log the failure, exit 1.
    let phase: { work?: string; delivered: boolean } = { delivered: false };
    const interrupted = (signal: NodeJS.Signals) => {
      events.close();
      const warn = (message: string) => process.stderr.write(`warning: ${message}\n`);
      if (phase.delivered) {
        if (phase.work) removeWork(phase.work, warn);
      } else {
        failRun(new ExdefError(`interrupted (${signal})`, { exitCode: 1 }), { out, extractDate, started, completed: new Date(), files: 0, step: 'the run', ...(phase.work ? { work: phase.work } : {}), warn });
      }
      const message = `interrupted (${signal})${phase.delivered ? ': the extract was delivered, but the delta state may not have advanced' : ': nothing was delivered and the delta state is unchanged'}`;
      process.stderr.write(`error: ${message}\n`);
      // --json always answers, even a run ended by a signal.
      if (flags.json) process.stdout.write(jsonErrorLine({ kind: 'failed', exitCode: 1, message, step: 'the run' }));
      // Exit once what was written has drained (a pipe reading stderr gets the whole message).
      void Promise.all([drained(process.stdout), drained(process.stderr)]).then(() => process.exit(1));
    };
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
    let result: RunResult;
    try {
      result = await runExtract({
        ...options,
        db,
        prepared,
        onPhase: (p) => {
          phase = { ...phase, ...p };
        },
        ...(sftp && delivery
          ? {
              onPackaged: async (packaged) => {
                const { enqueue } = await import('../../deliver/outbox.js');
                await enqueue(delivery.outbox, {
                  output: packaged.output,
                  log: packaged.log,
                  manifest: packaged.manifest,
                  definition: { id: packaged.manifest.definition.id, version: packaged.manifest.definition.version, fingerprint: packaged.manifest.definition.fingerprint },
                  mode: packaged.manifest.mode,
                  extractDate: packaged.manifest.extractDate,
                  snapshot: packaged.manifest.snapshot,
                  encrypted: packaged.encrypted,
                  destination: { host: sftp.host, port: sftp.port, user: sftp.user, directory: sftp.directory, hostKey: sftp.hostKey },
                });
              },
            }
          : {}),
      });
    } finally {
      process.removeListener('SIGINT', interrupted);
      process.removeListener('SIGTERM', interrupted);
      events.close();
      await db.close();
    }
    // Delivered right after packaging: this definition's pending extracts, oldest first.
    let sent: RunDelivery | undefined;
    if (sftp && delivery) {
      sent = { outbox: delivery.outbox, delivered: false };
      if (flags.deliver) {
        const { deliverOutbox } = await import('../../deliver/deliver-outbox.js');
        // Interrupted while sending: the extract is complete and stays in the outbox (the lock this
        // process held is taken over by the next delivery, a .partial on the server is replaced).
        const interruptedDelivery = (signal: NodeJS.Signals) => {
          const message = `interrupted (${signal}) — the extract is complete and safe in the outbox ${delivery.outbox}; \`exdef deliver\` sends it`;
          process.stderr.write(`error (delivery): ${message}\n`);
          if (flags.json) process.stdout.write(jsonErrorLine({ kind: 'failed', exitCode: 1, message, step: 'delivery' }));
          void Promise.all([drained(process.stdout), drained(process.stderr)]).then(() => process.exit(1));
        };
        process.once('SIGINT', interruptedDelivery);
        process.once('SIGTERM', interruptedDelivery);
        try {
          const report = await deliverOutbox({ config: delivery, definitionId: result.definition.id, events });
          const failure = report.failed[0];
          sent = { ...sent, delivered: !failure, report, ...(failure ? { failure: `${failure.step}: ${failure.message}` } : {}) };
        } catch (error) {
          sent = { ...sent, failure: `${(error as ExdefError).step ?? 'delivery'}: ${(error as Error).message}` };
        } finally {
          process.removeListener('SIGINT', interruptedDelivery);
          process.removeListener('SIGTERM', interruptedDelivery);
        }
      }
    }
    if (flags.json) process.stdout.write(`${JSON.stringify(sent ? { ...result, delivery: sent } : result, null, 2)}\n`);
    else if (!flags.quiet) process.stdout.write(summary(result, sent));
    if (result.stateError) throw new ExdefError(result.stateError, { exitCode: 1, step: 'state' });
    if (sent?.failure) {
      throw new ExdefError(`${sent.failure} — the extract is complete and safe in the outbox ${sent.outbox}; \`exdef deliver\` sends it once this is put right`, { exitCode: 1, step: 'delivery' });
    }
  }
}

type Reporter = RunEvents & { close(): void };

/** What became of a run's SFTP delivery. */
interface RunDelivery {
  outbox: string;
  delivered: boolean;
  report?: DeliveryReport;
  /** `STEP: message` when the delivery failed (the extract stays in the outbox). */
  failure?: string;
}

/**
 * The provider's delivery settings for a run that delivers: the outbox must be usable, and (unless
 * --no-deliver) the client key present, private and ed25519 — all before a database is opened.
 */
async function deliveryForRun(provider: ProviderConfig | undefined, deliver: boolean): Promise<DeliveryConfig> {
  const { parseDeliveryConfig, readClientKey } = await import('../../deliver/delivery-config.js');
  const { openOutbox } = await import('../../deliver/outbox.js');
  const parsed = parseDeliveryConfig(provider?.raw['delivery'], provider?.file);
  const config = provider?.approvals ? { ...parsed, approvals: provider.approvals } : parsed;
  if (deliver) {
    const key = readClientKey(config);
    const { checkClientKey } = await import('../../deliver/ssh-keys.js');
    await checkClientKey(key, config.clientKey!);
  }
  openOutbox(config.outbox);
  return config;
}

/**
 * What a person watching sees: on a TTY one live line per dataset (rows, rows/s); otherwise plain
 * lines as each step and dataset finishes; nothing but warnings and errors with --quiet or --json.
 */
function reporter(quiet: boolean, stream: NodeJS.WriteStream): Reporter {
  const tty = Boolean(stream.isTTY) && !process.env['CI'];
  const started = new Map<string, number>();
  let live: string | undefined;
  let lastDraw = 0;
  const clearLive = () => {
    if (live !== undefined) stream.write('\r\u001b[2K');
    live = undefined;
  };
  const line = (text: string) => {
    clearLive();
    stream.write(`${text}\n`);
  };
  const rate = (rows: number, seconds: number) => `${Math.round(rows / Math.max(seconds, 0.001)).toLocaleString('en-GB')} rows/s`;
  return {
    warn: (message) => line(`warning: ${message}`),
    step: (message) => {
      if (!quiet) line(`${message} ...`);
    },
    datasetStarted(dataset) {
      started.set(dataset, Date.now());
    },
    datasetRows(dataset, rows) {
      if (quiet || !tty) return;
      const now = Date.now();
      if (now - lastDraw < 100) return;
      lastDraw = now;
      live = `  ${dataset}: ${rows.toLocaleString('en-GB')} rows, ${rate(rows, (now - (started.get(dataset) ?? now)) / 1000)}`;
      stream.write(`\r\u001b[2K${live}`);
    },
    datasetFinished(dataset, files, seconds) {
      if (quiet) return;
      const rows = files.reduce((n, f) => n + f.rows, 0);
      const bytes = files.reduce((n, f) => n + f.bytes, 0);
      line(`  ${dataset}: ${rows.toLocaleString('en-GB')} rows, ${(bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s (${rate(rows, seconds)})${files.length > 1 ? `, ${files.length} files` : ''}`);
    },
    close: clearLive,
  };
}

function summary(r: RunResult, sent: RunDelivery | undefined): string {
  const lines = [
    `${r.status.toLowerCase()}: ${r.definition.id} version ${r.definition.version}, ${r.mode} extract for ${r.extractDate} (${r.reason})`,
    `  ${r.files.length} file${r.files.length === 1 ? '' : 's'}, ${r.rows.toLocaleString('en-GB')} rows, snapshot ${r.snapshot}${r.scope ? `, practices ${r.scope.practices.join(', ')} only` : ''}`,
    ...r.disclosure.filter((d) => d.k !== null).map((d) => `  k-anonymity of ${d.dataset}: ${d.k} (${d.quasiIdentifiers.length > 0 ? d.quasiIdentifiers.join(' + ') : 'no quasi-identifiers: the patients its rows are of'}; threshold ${d.threshold})`),
    ...r.linkedDisclosure.filter((d) => d.k !== null).map((d) => `  k-anonymity of linked ${d.datasets.join(' + ')}: ${d.k} (${d.quasiIdentifiers.join(' + ')}; threshold ${d.threshold})`),
    `  output: ${r.output}${r.encrypted ? ' (S/MIME, AES-256)' : ''}`,
    `  log:    ${r.log}`,
    ...(sent ? [deliveryLine(sent)] : []),
  ];
  return `${lines.join('\n')}\n`;
}

function deliveryLine(sent: RunDelivery): string {
  const mine = sent.report?.delivered.at(-1);
  if (sent.delivered && mine) return `  delivered: ${mine.files.map((f) => f.remote).join(', ')}`;
  if (sent.failure) return `  not delivered: kept in the outbox ${sent.outbox}`;
  return `  outbox: ${sent.outbox} (not delivered: --no-deliver; \`exdef deliver\` sends it)`;
}
