import { Flags } from '@oclif/core';
import { ExdefError } from '../../failure.js';
import { ExdefCommand } from '../exdef-command.js';
import { jsonFlag, providerFlag } from '../shared-flags.js';

export default class Deliver extends ExdefCommand {
  static override summary = 'Send the finished extracts waiting in the outbox to their SFTP servers';
  static override description = [
    'A run whose definition delivers by SFTP places its extract (the ZIP or .zip.enc, a manifest beside it, the log file) in the outbox before its delta state advances, and sends it at once unless told --no-deliver. What could not be sent waits there; this command sends it, oldest first: an older extract of a definition always arrives before a newer one, and when it cannot be sent the newer ones wait behind it. Each extract is tried again after a failure the network or the server may put right (backoff_seconds, then twice that, ...: delivery.retries more times); a refused host key or client key, a permission, or a name already taken on the server is not retried.',
    'On the server each file is written under a temporary name (.NAME.partial) and renamed when complete; the log file goes into logs/ under the target directory. A delivered file is never overwritten: a file already there under the same name and with the same content (a retry after the rename\'s reply was lost) counts as delivered, a different one stops that extract. Delivered extracts leave the outbox; a receipt (files, sha256, when) is kept in OUTBOX/delivered.',
    'Before each extract is sent, the approvals are read again (the provider file\'s approvals section): an extract holding data of a practice whose approval was revoked, expired or lost its trusted key after the run is not sent, and the newer extracts of its definition wait behind it. `--discard ITEM` takes it out for good (deleting its files); the definition then needs a new baseline (`exdef run --full`).',
    'Exit codes: 0 everything pending was delivered (or nothing was pending), 1 something could not be delivered (it stays in the outbox), 2 configuration errors (no client key, a key others can read, a provider file that does not parse).',
  ].join('\n\n');
  static override examples = [
    { description: 'Send what is waiting, with the provider configuration in ./exdef.provider.yaml', command: '<%= config.bin %> deliver' },
    { description: 'From cron, after the nightly runs', command: '<%= config.bin %> deliver --provider /etc/exdef/provider.yaml --quiet' },
    { description: 'What is waiting, and what was delivered last, without sending anything', command: '<%= config.bin %> deliver --status' },
    { description: 'Never send an extract a practice withdrew its approval from after the run (and the newer ones of its definition)', command: '<%= config.bin %> deliver --discard 20261203T020000Z-phm-warehouse-a1b2c3' },
  ];
  static override flags = {
    provider: providerFlag,
    status: Flags.boolean({ description: 'List what is pending (with its last failure) and the latest deliveries; send nothing' }),
    quiet: Flags.boolean({ char: 'q', description: 'Print errors only (for cron)' }),
    discard: Flags.string({
      description: 'Take a pending extract that must not be sent (a practice withdrew its approval after the run) out of the outbox, with every newer one of its definition, deleting their files; the definition then needs a new baseline (exdef run --full)',
      helpValue: 'ITEM',
    }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Deliver);
    const { loadDeliveryConfig } = await import('../../deliver/delivery-config.js');
    const { attempts, pendingItems, receipts, openOutbox } = await import('../../deliver/outbox.js');
    const config = loadDeliveryConfig(flags.provider);
    if (flags.discard !== undefined) {
      const { discardItems } = await import('../../deliver/outbox.js');
      const discarded = discardItems(config.outbox, flags.discard, 'discarded by exdef deliver --discard');
      if (flags.json) process.stdout.write(`${JSON.stringify({ outbox: config.outbox, discarded: discarded.map((i) => i.id) }, null, 2)}\n`);
      else if (!flags.quiet) {
        const ids = discarded.map((i) => `  ${i.id} (${i.mode}, snapshot ${i.snapshot})`).join('\n');
        process.stdout.write(`discarded, never sent, its files deleted:\n${ids}\nthe recipient's copy of ${discarded[0]!.definition.id} now lacks them: make a new baseline with \`exdef run DEFINITION --full\`\n`);
      }
      return;
    }
    if (flags.status) {
      openOutbox(config.outbox);
      const pending = pendingItems(config.outbox).map((item) => ({ ...item, attempts: attempts(config.outbox, item) }));
      const delivered = receipts(config.outbox).slice(-20);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ outbox: config.outbox, pending, delivered }, null, 2)}\n`);
        return;
      }
      const lines = [`outbox ${config.outbox}: ${pending.length} pending`];
      for (const item of pending) {
        const last = item.attempts.at(-1);
        lines.push(`  pending   ${item.definition.id} ${item.mode} ${item.snapshot} -> ${item.destination.user}@${item.destination.host}:${item.destination.port}${item.destination.directory}${last ? ` (${item.attempts.length} failed attempt${item.attempts.length === 1 ? '' : 's'}; last ${last.at}: ${last.step}: ${last.message})` : ''}`);
      }
      for (const receipt of delivered) {
        lines.push(`  delivered ${receipt.item.definition.id} ${receipt.item.mode} ${receipt.item.snapshot} at ${receipt.deliveredAt}: ${receipt.files.map((f) => f.remote).join(', ')}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
      return;
    }
    const { deliverOutbox } = await import('../../deliver/deliver-outbox.js');
    const quiet = flags.quiet || flags.json;
    const report = await deliverOutbox({
      config,
      events: {
        step: (message) => {
          if (!quiet) process.stderr.write(`${message} ...\n`);
        },
        warn: (message) => process.stderr.write(`warning: ${message}\n`),
      },
    });
    if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else if (!flags.quiet) {
      const lines = report.delivered.map((d) => `delivered: ${d.definition} ${d.mode} extract of ${d.snapshot}: ${d.files.map((f) => f.remote).join(', ')}`);
      if (report.delivered.length === 0 && report.failed.length === 0) lines.push(`nothing to deliver (the outbox ${config.outbox} is empty)`);
      if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
    }
    for (const w of report.waiting) process.stderr.write(`waiting: ${w.definition} ${w.item} stays in the outbox behind ${w.behind}, which could not be delivered\n`);
    if (report.failed.length > 0) {
      const [first] = report.failed;
      for (const f of report.failed.slice(1)) process.stderr.write(`failed: ${f.definition} ${f.item}: ${f.step}: ${f.message}\n`);
      const count = report.failed.length + report.waiting.length;
      throw new ExdefError(
        `${first!.definition}: ${first!.step}: ${first!.message} — ${count === 1 ? 'the extract stays' : `${count} extracts stay`} in the outbox ${config.outbox}; \`exdef deliver\` sends ${count === 1 ? 'it' : 'them'} once this is put right`,
        { exitCode: 1, step: 'delivery' },
      );
    }
  }
}
