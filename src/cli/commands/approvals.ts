import { Args, Flags } from '@oclif/core';
import { basename } from 'node:path';
import { definitionToApprove } from '../../approval/approve-definition.js';
import { decidePractices, type ApprovalStatus, type PracticeDecision } from '../../approval/approval-status.js';
import { approvalDate, approvalStatuses } from '../../approval/practice-approvals.js';
import { ExdefError } from '../../failure.js';
import { approvalsOf, loadProviderConfigFrom } from '../../provider/provider-config.js';
import { definitionFileArgument } from '../definition-files.js';
import { ExdefCommand } from '../exdef-command.js';
import { todayFromFlag } from '../lint-context-for-cli.js';
import { catalogueForCommand } from '../load-catalogue-for-cli.js';
import { catalogueFlag, jsonFlag, providerFlag } from '../shared-flags.js';
import { textTable } from '../text-table.js';

export default class Approvals extends ExdefCommand {
  static override summary = "List the practices' approvals and their state: valid, expired, revoked, for another fingerprint or version, untrusted, invalid";
  static override description = [
    "Reads the provider's approvals directory, checks every signature against allowed_signers, and says of each approval whether it holds on --today. With a definition, says for each of its practices whether a run would extract it, and why not.",
    'States: valid; expired (after its last day); revoked (a trusted revocation signed after it); other-fingerprint (it approves different data: the definition changed); other-version (the same data, but another version, wording or review of the definition); untrusted (signed by a key allowed_signers does not trust for the practice, or whose valid-after / valid-before exclude now, judged on the clock as ssh-keygen -Y verify does); invalid (changed after signing, no signature, or not an approval). A revocation that cannot be read or verified leaves its practice out of runs of its definition until it can be.',
    'Exit codes: 0 listed, 2 usage or configuration errors.',
  ].join('\n\n');
  static override examples = [
    { description: 'Every approval the provider holds', command: '<%= config.bin %> approvals' },
    { description: 'Which practices a run of this definition would extract', command: '<%= config.bin %> approvals definitions/chis-immunisations.exdef.yaml' },
    { description: 'As JSON, on a given extract date', command: '<%= config.bin %> approvals definitions/chis-immunisations.exdef.yaml --today 2026-12-01 --json' },
  ];
  static override args = {
    file: Args.string({ description: 'A definition: its practices and the approvals of it', required: false }),
  };
  static override flags = {
    provider: providerFlag,
    today: Flags.string({ description: "The extract date approvals are judged on, as a run for it would: the clock's date when that is later, since a past date never revives an expired approval (YYYY-MM-DD; default: today, UTC)", helpValue: 'DATE' }),
    catalogue: catalogueFlag,
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Approvals);
    // Judged as a run would: on --today, or the clock's date when that is later.
    const today = approvalDate(todayFromFlag(flags.today));
    const provider = loadProviderConfigFrom(flags.provider);
    if (!provider) throw new ExdefError('no provider configuration: give --provider FILE or EXDEF_PROVIDER, or put exdef.provider.yaml in the working directory', { exitCode: 2, step: 'provider' });
    let definition;
    if (args.file) {
      definitionFileArgument(args.file);
      definition = definitionToApprove(args.file, catalogueForCommand(flags.catalogue));
    }
    const all = approvalStatuses(approvalsOf(provider), today, definition);
    const statuses = definition ? all.filter((s) => s.definition === definition.id || s.definition === undefined) : all;
    const practices = definition ? decidePractices(definition, definition.practices, statuses) : undefined;
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ date: today, ...(definition ? { definition: { id: definition.id, version: definition.version, fingerprint: definition.fingerprint, digest: definition.digest }, practices } : {}), approvals: statuses }, null, 2)}\n`);
      return;
    }
    process.stdout.write(approvalsText(statuses, practices, today, definition ? `${definition.id} version ${definition.version}` : undefined));
  }
}

export function approvalsText(statuses: readonly ApprovalStatus[], practices: readonly PracticeDecision[] | undefined, date: string, definition: string | undefined): string {
  const parts: string[] = [];
  if (practices && definition) {
    parts.push(`practices of ${definition} on ${date}:`);
    parts.push(textTable(['practice', 'extracted', 'why'], practices.map((p) => [p.practice, p.approved ? 'yes' : 'no', p.reason])));
  }
  if (statuses.length === 0) parts.push('no approvals recorded\n');
  else
    parts.push(
      textTable(
        ['file', 'kind', 'practice', 'definition', 'state', 'detail'],
        statuses.map((s) => [basename(s.file), s.kind, s.practice ?? '-', s.definition ? `${s.definition}${s.version !== undefined ? ` v${s.version}` : ''}` : '-', s.state, s.reason]),
      ),
    );
  return parts.join('\n');
}
