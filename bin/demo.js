#!/usr/bin/env node
// `npm run demo`: a real run on the embedded database, with nothing to install or configure.
// It seeds a synthetic population (2,000 patients at A81001-A81003) into ./.exdef/pglite
// and shows what was generated, including every trap the policy must keep out of an extract.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const exdef = (args) => {
  const result = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), ...args], { stdio: 'inherit', cwd: process.cwd() });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

console.log('exdef demo: seeding the embedded reporting database (./.exdef/pglite)\n');
exdef(['db', 'seed', '--practices', '3', '--patients', '2000', '--seed', '1', '--replace']);
