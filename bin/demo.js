#!/usr/bin/env node
// `npm run demo`: a real extract on the embedded database, with nothing to install or configure.
// The first run seeds a synthetic population (2,000 patients at A81001-A81003, every trap the
// policy must keep out included) into ./.exdef/pglite; then phm-warehouse, a shipped definition,
// runs end to end: lint, one snapshot, three datasets in per-practice folders, k-anonymity,
// ZIP with manifest.json, and the seed-000 log file. The demo makes its own pseudonym keys and
// keeps them in ./.exdef/demo-keys.yaml (readable by you only).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
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
const definition = join(root, 'definitions', 'phm-warehouse.exdef.yaml');
console.log('exdef demo: running definitions/phm-warehouse.exdef.yaml on the embedded database (./.exdef/pglite)\n');
// --force: the definition is weekly, and the demo may be run again the same day.
const result = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), 'run', definition, '--keys', keys, '--out', 'demo-output', '--force'], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
console.log('\nThe ZIP holds a folder per practice with people.csv, long_term_conditions.csv and blood_pressure.csv, and manifest.json.');
console.log('Try: unzip -l demo-output/*.zip   |   exdef compile definitions/phm-warehouse.exdef.yaml   |   exdef lint definitions/');
