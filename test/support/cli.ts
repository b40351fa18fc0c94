import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/resources.js';

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

const bin = join(packageRoot, 'bin', 'run.js');

/**
 * The environment the CLI runs in: the test's own, as a user's shell would pass it, without
 * vitest's variables (under VITEST the grammar validates itself at every start, which the unit
 * tests already do once, and which costs each CLI start about 80 ms).
 */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', EXDEF_DATABASE_URL: '' };
  for (const name of Object.keys(env)) if (name.startsWith('VITEST') || name === 'TEST') delete env[name];
  return { ...env, ...extra };
}

/** Runs the built `exdef` CLI (npm test builds first) as a user would, in `cwd`. */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): CliResult {
  if (!existsSync(join(packageRoot, 'dist', 'src', 'cli', 'commands'))) {
    throw new Error('the CLI is not built: run `npm run build` (npm test does it first)');
  }
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: options.cwd ?? packageRoot,
    env: cliEnv(options.env),
    encoding: 'utf8',
    input: options.input ?? '',
    timeout: 300_000,
  });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
