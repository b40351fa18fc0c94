#!/usr/bin/env node
// `npm run demo`: a real extract on the embedded database, with nothing to install or configure.
// The first run seeds a synthetic population (2,000 patients at A81001-A81003, every trap the
// policy must keep out included) into ./.exdef/pglite; then phm-warehouse, a shipped definition,
// runs end to end: lint, one snapshot, three datasets in per-practice folders, k-anonymity,
// ZIP with manifest.json, and the seed-000 log file. The demo makes its own pseudonym keys and
// keeps them in ./.exdef/demo-keys.yaml (readable by you only). A run extracts only the practices
// that approved the definition, so the demo also makes a demo approver's ed25519 key, trusts it
// for the demo practices (./.exdef/demo-provider/) and approves for each, saying so.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const keys = join('.exdef', 'demo-keys.yaml');
if (!existsSync(keys)) {
  mkdirSync('.exdef', { recursive: true });
  const names = ['phm-icb-key', 'tww-audit-key', 'flu-icb-key'];
  writeFileSync(keys, `# Pseudonym keys made by npm run demo. Keep them secret; real keys come from the provider.\n${names.map((n) => `${n}: ${randomBytes(32).toString('hex')}`).join('\n')}\n`, { mode: 0o600 });
  chmodSync(keys, 0o600);
}
const shipped = join(root, 'definitions', 'phm-warehouse.exdef.yaml');
// A practice's approval ends three months after the definition's review at the latest, judged by
// the clock (a past --today never revives it). Once the shipped definition's review is older than
// that, the demo stands in for the 3-monthly IG review: it runs a copy reviewed today, and says so.
const today = new Date().toISOString().slice(0, 10);
const { latestExpiry } = await import('../dist/src/approval/approval-status.js');
const shippedText = readFileSync(shipped, 'utf8');
const reviewed = /last_reviewed: (\d{4}-\d\d-\d\d)/.exec(shippedText)?.[1];
let definition = shipped;
if (reviewed && latestExpiry(reviewed) < today) {
  definition = join('.exdef', 'demo', 'phm-warehouse.exdef.yaml');
  mkdirSync(dirname(definition), { recursive: true });
  writeFileSync(definition, shippedText.replace(`last_reviewed: ${reviewed}`, `last_reviewed: ${today}`));
  console.log(`exdef demo: definitions/phm-warehouse.exdef.yaml was last reviewed on ${reviewed}; approvals last three months from a review, so a real run would be refused until IG reviews it again. The demo runs a copy marked reviewed today: ${definition}`);
}

// The practices' approvals: made with a demo key, never a real approver's.
const { generateEd25519KeyPair } = await import('../dist/src/approval/ed25519-keygen.js');
const { definitionToApprove, approveDefinition } = await import('../dist/src/approval/approve-definition.js');
const { readSigningKey } = await import('../dist/src/approval/sshsig.js');
const { referenceCatalogue } = await import('../dist/src/catalogue/load-catalogue.js');
const providerDir = join('.exdef', 'demo-provider');
const approverKey = join(providerDir, 'demo-approver.key');
mkdirSync(providerDir, { recursive: true, mode: 0o700 });
if (!existsSync(approverKey)) {
  const pair = generateEd25519KeyPair('exdef demo approver');
  writeFileSync(approverKey, pair.private, { mode: 0o600 });
  writeFileSync(`${approverKey}.pub`, `${pair.public}\n`);
}
const approved = definitionToApprove(definition, referenceCatalogue());
const publicKey = readFileSync(`${approverKey}.pub`, 'utf8').trim();
writeFileSync(join(providerDir, 'allowed_signers'), `# The demo approver's key, trusted for the demo practices only.\n${approved.practices.join(',')} namespaces="exdef-approval@nhs" ${publicKey}\n`);
const provider = join(providerDir, 'exdef.provider.yaml');
writeFileSync(provider, '# Made by npm run demo: approvals signed with a demo key.\napprovals:\n  directory: approvals\n  allowed_signers: allowed_signers\n');
const key = readSigningKey(approverKey);
console.log(`exdef demo: approving ${definition === shipped ? 'definitions/phm-warehouse.exdef.yaml' : definition} for ${approved.practices.join(', ')} with a demo key (${key.fingerprint}), as each practice's data controller would with their own`);
for (const practice of approved.practices) {
  approveDefinition({ definition: approved, practice, by: 'Demo Approver', role: 'Caldicott Guardian (demo)', key, directory: join(providerDir, 'approvals'), now: new Date(), today });
}
console.log(`exdef demo: running ${definition === shipped ? 'definitions/phm-warehouse.exdef.yaml' : definition} on the embedded database (./.exdef/pglite)\n`);
// --force: the definition is weekly, and the demo may be run again the same day.
const result = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), 'run', definition, '--keys', keys, '--out', 'demo-output', '--force', '--provider', provider, '--today', today], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
console.log('\nThe ZIP holds a folder per practice with people.csv, long_term_conditions.csv and blood_pressure.csv, and manifest.json.');
console.log('Try: unzip -l demo-output/*.zip   |   exdef compile definitions/phm-warehouse.exdef.yaml   |   exdef lint definitions/');
