import { Args, Flags } from '@oclif/core';
import { definitionToApprove, revokeApprovals } from '../../approval/approve-definition.js';
import { readSigningKey } from '../../approval/sshsig.js';
import { definitionFileArgument } from '../definition-files.js';
import { ExdefCommand } from '../exdef-command.js';
import { catalogueForCommand } from '../load-catalogue-for-cli.js';
import { catalogueFlag, jsonFlag, providerFlag } from '../shared-flags.js';
import { approvalsDirectory, trustWarning } from './approve.js';

export default class Revoke extends ExdefCommand {
  static override summary = "Revoke a practice's approval of a definition, from the next run on";
  static override description = [
    "Records, signed with the revoker's ed25519 key like an approval, that the practice withdraws every approval of the definition (any version) signed before now. Runs that start after it leave the practice out and name it in their log file and manifest; a run already going is not stopped. A later `exdef approve` approves again.",
    'Exit codes: 0 revoked, 1 the definition cannot be read, 2 usage or configuration errors.',
  ].join('\n\n');
  static override examples = [
    { description: 'A81001 withdraws its approval', command: '<%= config.bin %> revoke definitions/chis-immunisations.exdef.yaml --practice A81001 --by "Dr Jane Smith" --role "Caldicott Guardian" --key ~/.ssh/id_ed25519 --reason "agreement ended"' },
  ];
  static override args = {
    file: Args.string({ description: 'The definition whose approval is revoked', required: true }),
  };
  static override flags = {
    practice: Flags.string({ description: 'The practice revoking (ODS code)', helpValue: 'ODS', required: true }),
    by: Flags.string({ description: 'Who revokes (name)', helpValue: 'NAME', required: true }),
    role: Flags.string({ description: 'Their role', helpValue: 'ROLE', required: true }),
    key: Flags.string({ description: "The revoker's OpenSSH ed25519 private key (trusted for the practice)", helpValue: 'FILE', required: true }),
    reason: Flags.string({ description: 'Why (kept in the signed record)', helpValue: 'TEXT' }),
    out: Flags.string({ description: "Write the revocation here instead of the provider's approvals directory", helpValue: 'DIR' }),
    provider: providerFlag,
    catalogue: catalogueFlag,
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Revoke);
    definitionFileArgument(args.file);
    const { directory, provider } = approvalsDirectory(flags.out, flags.provider);
    const key = readSigningKey(flags.key, process.env['EXDEF_APPROVAL_KEY_PASSPHRASE']);
    const definition = definitionToApprove(args.file, catalogueForCommand(flags.catalogue));
    const { file, revocation } = revokeApprovals({ definition, practice: flags.practice, by: flags.by, role: flags.role, key, directory, now: new Date(), ...(flags.reason ? { reason: flags.reason } : {}) });
    const warning = trustWarning(provider, key, flags.practice);
    if (warning) this.say(`warning: ${warning}`);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ file, signature: `${file}.sig`, signer: key.fingerprint, trusted: warning === undefined, revocation }, null, 2)}\n`);
      return;
    }
    process.stdout.write(`revoked: ${revocation.practice}'s approvals of ${revocation.definition} signed before ${revocation.revokedAt}, from the next run\n  ${file}\n`);
  }
}
