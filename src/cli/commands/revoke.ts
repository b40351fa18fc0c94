import { Args, Flags } from '@oclif/core';
import { definitionToApprove, revokeApprovals } from '../../approval/approve-definition.js';
import { readSignedRecords } from '../../approval/approval-file.js';
import { readSigningKey } from '../../approval/sshsig.js';
import { ExdefError } from '../../failure.js';
import { definitionFileArgument } from '../definition-files.js';
import { ExdefCommand } from '../exdef-command.js';
import { catalogueForCommand } from '../load-catalogue-for-cli.js';
import { catalogueFlag, jsonFlag, providerFlag } from '../shared-flags.js';
import { approvalsDirectory, checkTrust } from './approve.js';

export default class Revoke extends ExdefCommand {
  static override summary = "Revoke a practice's approval of a definition, from the next run on";
  static override description = [
    "Records, signed with the revoker's ed25519 key like an approval, that the practice withdraws every approval of the definition (any version) signed before now. Runs that start after it leave the practice out and name it in their log file and manifest; a run already going is not stopped. A later `exdef approve` approves again.",
    'Exit codes: 0 revoked, 1 the definition cannot be read or an approval of the practice is stamped after the revocation (a clock is wrong: it still holds), 2 usage or configuration errors.',
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
    // A revocation withdraws the approvals stamped before it: one stamped at or after it (a clock
    // ahead where it was signed, or behind here) still holds, so the revocation is not claimed.
    const later = readSignedRecords(directory).filter(
      (f) => !f.problem && f.record?.kind === 'approval' && f.record.definition === revocation.definition && f.record.practice === revocation.practice && f.record.approvedAt >= revocation.revokedAt,
    );
    if (later.length > 0) {
      const first = later[0]!.record as { approvedAt: string };
      throw new ExdefError(
        `${file} is written, but ${later.length === 1 ? 'the approval' : `${later.length} approvals, the first`} ${later[0]!.file} is stamped ${first.approvedAt}, after this revocation (${revocation.revokedAt}): it still holds — is a clock wrong?`,
        { exitCode: 1, step: 'revoke', hints: ['check the clock of this machine and of the one that signed the approval, then revoke again once this clock is past its stamp (or remove that approval file)'] },
      );
    }
    const { trusted, warning } = checkTrust(provider, key, flags.practice, 'revocation');
    if (warning) this.say(`warning: ${warning}`);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ file, signature: `${file}.sig`, signer: key.fingerprint, trusted, revocation }, null, 2)}\n`);
      return;
    }
    process.stdout.write(`revoked: ${revocation.practice}'s approvals of ${revocation.definition} signed before ${revocation.revokedAt}, from the next run\n  ${file}\n`);
  }
}
