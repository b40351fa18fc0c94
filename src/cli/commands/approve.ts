import { Args, Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { approveDefinition, definitionToApprove } from '../../approval/approve-definition.js';
import { trustingSigners, readAllowedSigners } from '../../approval/allowed-signers.js';
import { APPROVAL_NAMESPACE } from '../../approval/approval-file.js';
import { readSigningKey, type SigningKey } from '../../approval/sshsig.js';
import { ExdefError } from '../../failure.js';
import { approvalsOf, loadProviderConfigFrom, type ProviderConfig } from '../../provider/provider-config.js';
import { definitionFileArgument } from '../definition-files.js';
import { todayFromFlag } from '../lint-context-for-cli.js';
import { ExdefCommand } from '../exdef-command.js';
import { catalogueForCommand } from '../load-catalogue-for-cli.js';
import { catalogueFlag, jsonFlag, providerFlag } from '../shared-flags.js';

export default class Approve extends ExdefCommand {
  static override summary = "Record a practice's approval of exactly this definition, signed with the approver's SSH key";
  static override description = [
    "Each GP practice is the data controller of its records and approves an extract for itself. The approval names the definition's id, version, fingerprint and digest (any change to the definition needs a new approval), the practice, who approved it and in what role, when, and its expiry: by default, and at most, three months after the definition's review (review.last_reviewed).",
    `It is a small text file signed with the approver's ed25519 key in OpenSSH's SSHSIG format (namespace ${APPROVAL_NAMESPACE}), so anyone can check it without exdef: ssh-keygen -Y verify -f allowed_signers -I <ODS> -n ${APPROVAL_NAMESPACE} -s FILE.sig < FILE. It is written into the provider's approvals directory (or --out DIR, to send to the provider). A run extracts only the practices whose approval is valid.`,
    'A passphrase-protected key takes its passphrase from EXDEF_APPROVAL_KEY_PASSPHRASE. Exit codes: 0 approved, 1 the definition cannot be approved (errors, no or an old review), 2 usage or configuration errors.',
  ].join('\n\n');
  static override examples = [
    {
      description: "The practice's Caldicott Guardian approves for A81001",
      command: '<%= config.bin %> approve definitions/chis-immunisations.exdef.yaml --practice A81001 --by "Dr Jane Smith" --role "Caldicott Guardian" --key ~/.ssh/id_ed25519',
    },
    {
      description: 'An approval that ends before the review cycle does, written for sending to the provider',
      command: '<%= config.bin %> approve definitions/phm-warehouse.exdef.yaml --practice A81002 --by "Sam Patel" --role "Practice Manager" --key approver.key --expires 2026-12-31 --out outgoing',
    },
  ];
  static override args = {
    file: Args.string({ description: 'The definition approved (YAML or exdef language)', required: true }),
  };
  static override flags = {
    practice: Flags.string({ description: 'The practice approving (ODS code), as data controller', helpValue: 'ODS', required: true }),
    by: Flags.string({ description: 'Who approves (name)', helpValue: 'NAME', required: true }),
    role: Flags.string({ description: 'Their role (e.g. Caldicott Guardian, Practice Manager)', helpValue: 'ROLE', required: true }),
    key: Flags.string({ description: "The approver's OpenSSH ed25519 private key", helpValue: 'FILE', required: true }),
    expires: Flags.string({ description: 'The last day the approval holds (YYYY-MM-DD; default and at most: three months after the review)', helpValue: 'DATE' }),
    today: Flags.string({ description: 'The date the review and --expires are judged on (YYYY-MM-DD; default: today, UTC); the approval is stamped with the clock', helpValue: 'DATE' }),
    out: Flags.string({ description: "Write the approval here instead of the provider's approvals directory", helpValue: 'DIR' }),
    provider: providerFlag,
    catalogue: catalogueFlag,
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Approve);
    definitionFileArgument(args.file);
    const { directory, provider } = approvalsDirectory(flags.out, flags.provider);
    const key = readSigningKey(flags.key, process.env['EXDEF_APPROVAL_KEY_PASSPHRASE']);
    const definition = definitionToApprove(args.file, catalogueForCommand(flags.catalogue));
    const { file, approval } = approveDefinition({ definition, practice: flags.practice, by: flags.by, role: flags.role, key, directory, now: new Date(), today: todayFromFlag(flags.today), ...(flags.expires ? { expires: flags.expires } : {}) });
    const warning = trustWarning(provider, key, flags.practice);
    if (warning) this.say(`warning: ${warning}`);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ file, signature: `${file}.sig`, signer: key.fingerprint, trusted: warning === undefined, approval }, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      [
        `approved: ${approval.practice} approves ${approval.definition} version ${approval.version} (fingerprint ${approval.fingerprint.slice(0, 12)}) until ${approval.expires}`,
        `  by ${approval.approvedBy} (${approval.role}), signed with ${key.fingerprint}`,
        `  ${file}`,
        `  ${file}.sig`,
        '',
      ].join('\n'),
    );
  }
}

/** --out, else the provider's approvals directory; one of them is needed. */
export function approvalsDirectory(out: string | undefined, providerFile: string | undefined): { directory: string; provider: ProviderConfig | undefined } {
  const provider = out && !providerFile ? undefined : loadProviderConfigFrom(providerFile);
  if (out) return { directory: resolve(out), provider };
  if (!provider) {
    throw new ExdefError('no approvals directory: give --out DIR, or a provider configuration (--provider FILE, EXDEF_PROVIDER or ./exdef.provider.yaml) that names one', { exitCode: 2, step: 'provider' });
  }
  return { directory: approvalsOf(provider).directory, provider };
}

/** Said when the provider's allowed_signers does not trust the key for the practice: runs would ignore the record. */
export function trustWarning(provider: ProviderConfig | undefined, key: SigningKey, practice: string): string | undefined {
  if (!provider?.approvals) return undefined;
  const today = new Date().toISOString().slice(0, 10);
  let signers;
  try {
    signers = readAllowedSigners(provider.approvals.allowedSigners);
  } catch (error) {
    return `${(error as Error).message}: runs cannot check this record until it can be read`;
  }
  if (trustingSigners(signers, key.publicKey, practice, APPROVAL_NAMESPACE, today).length > 0) return undefined;
  return `${provider.approvals.allowedSigners} does not trust ${key.fingerprint} for ${practice}: runs ignore this record until a line "${practice} namespaces=\"${APPROVAL_NAMESPACE}\" ${key.publicKey}" is added`;
}
