import { Args, Flags } from '@oclif/core';
import { resolve } from 'node:path';
import { approveDefinition, definitionToApprove } from '../../approval/approve-definition.js';
import { keyValidity, readAllowedSigners, signersOfKey } from '../../approval/allowed-signers.js';
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
    const { trusted, warning } = checkTrust(provider, key, flags.practice, 'approval');
    if (warning) this.say(`warning: ${warning}`);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ file, signature: `${file}.sig`, signer: key.fingerprint, trusted, approval }, null, 2)}\n`);
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

/**
 * Whether the provider's allowed_signers trusts the key for the practice now, as a run will judge
 * the record: `trusted` is null when it was not checked (--out without a provider, or an
 * allowed_signers that cannot be read), and `warning` says why a run would ignore the record. A
 * revocation counts whatever the dates of its key's line (approval-status.ts), an approval only
 * while the line's valid-after / valid-before hold.
 */
export function checkTrust(provider: ProviderConfig | undefined, key: SigningKey, practice: string, kind: 'approval' | 'revocation', now = new Date()): { trusted: boolean | null; warning?: string } {
  if (!provider?.approvals) return { trusted: null };
  const file = provider.approvals.allowedSigners;
  let signers;
  try {
    signers = readAllowedSigners(file);
  } catch (error) {
    return { trusted: null, warning: `${(error as Error).message}: runs cannot check this record until it can be read` };
  }
  const lines = signersOfKey(signers, key.publicKey, practice, APPROVAL_NAMESPACE);
  if (lines.length === 0) {
    return { trusted: false, warning: `${file} does not trust ${key.fingerprint} for ${practice}: runs ignore this record until a line "${practice} namespaces=\"${APPROVAL_NAMESPACE}\" ${key.publicKey}" is added` };
  }
  if (kind === 'revocation' || lines.some((line) => keyValidity(line, now) === 'valid')) return { trusted: true };
  // The line is there, but its dates exclude now: adding it again would change nothing.
  const line = lines[0]!;
  return keyValidity(line, now) === 'not-yet-valid'
    ? { trusted: false, warning: `${file}:${line.line} trusts ${key.fingerprint} for ${practice} only from valid-after="${line.validAfter}": the key is not yet valid, and runs ignore this record until then` }
    : { trusted: false, warning: `${file}:${line.line} trusted ${key.fingerprint} for ${practice} only until valid-before="${line.validBefore}": the key has expired, and runs ignore this record (sign with a current key)` };
}
