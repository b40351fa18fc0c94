import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Commands that start without oclif. Loading oclif (its configuration, plugins, parser, help and
 * error machinery: about 170 modules) is a large part of a short command's start-up, and
 * `exdef lint FILE` is run per file by editors, hooks and CI. When the arguments of such a command
 * are plain (every flag known, each given once, each value a valid one), they are read here from
 * the flags oclif's manifest records for the command, and the command's oclif-free body runs
 * directly. Anything else (--help, an unknown or repeated flag, a missing or invalid value, `--`)
 * goes through oclif as before, so every message and exit code stays oclif's.
 */

/** A flag as oclif.manifest.json records it. */
interface ManifestFlag {
  name: string;
  type: 'boolean' | 'option';
  char?: string;
  multiple?: boolean;
  options?: string[];
  default?: unknown;
  allowNo?: boolean;
  required?: boolean;
  exclusive?: string[];
  env?: string;
}

interface ManifestCommand {
  id: string;
  strict?: boolean;
  args: Record<string, { name: string; required?: boolean }>;
  flags: Record<string, ManifestFlag>;
}

export type ParsedFlags = Record<string, string | number | boolean | undefined>;

/** The commands that run without oclif, and the failure reporting that knows their errors. */
type DirectEntry = typeof import('./direct-entry.js');

/**
 * A command that can run directly: the flags it reads as integers (oclif's Flags.integer with
 * min 0; the manifest records them as plain options), and its oclif-free body.
 */
interface DirectCommand {
  integerFlags: readonly string[];
  run: (entry: DirectEntry, argv: string[], flags: ParsedFlags) => Promise<number>;
}

const DIRECT: Record<string, DirectCommand> = {
  lint: {
    integerFlags: ['max-warnings'],
    run: (entry, argv, flags) => entry.runLint(argv, flags as unknown as Parameters<DirectEntry['runLint']>[1]),
  },
};

/**
 * The direct commands' modules: the build's bundle of them (bundle-direct-commands.ts) while it is
 * newer than the modules tsc wrote, the separate modules otherwise.
 */
async function loadDirectEntry(): Promise<DirectEntry> {
  const here = dirname(fileURLToPath(import.meta.url));
  const bundle = join(here, 'direct-entry.bundle.js');
  let current = false;
  try {
    current = statSync(bundle).mtimeMs >= statSync(join(here, 'direct-entry.js')).mtimeMs;
  } catch {
    // No bundle (running from src/, or a build without it): the separate modules.
  }
  // A bundle that fails to load is a bug to see, not to step around.
  return current ? ((await import(pathToFileURL(bundle).href)) as DirectEntry) : import('./direct-entry.js');
}

/** The ids of the commands that may run without oclif. */
export const DIRECT_COMMANDS: readonly string[] = Object.keys(DIRECT);

/**
 * The arguments and flags of a plain invocation of a non-strict command, read as oclif reads
 * them; undefined when anything is not plain (oclif then parses it and reports any problem).
 */
export function parsePlainArgv(command: ManifestCommand, tokens: readonly string[], integerFlags: readonly string[]): { argv: string[]; flags: ParsedFlags } | undefined {
  // A strict command rejects extra arguments; only non-strict commands (a list of files) run directly.
  if (command.strict !== false) return undefined;
  const specs = Object.values(command.flags);
  // Flags with behaviour this reader does not model are left to oclif.
  if (specs.some((f) => f.char !== undefined || f.multiple || f.allowNo || f.required || f.exclusive || f.env)) return undefined;
  const argv: string[] = [];
  const flags: ParsedFlags = {};
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (!token.startsWith('-')) {
      argv.push(token);
      continue;
    }
    if (!token.startsWith('--') || token === '--') return undefined;
    const equals = token.indexOf('=');
    const name = token.slice(2, equals === -1 ? undefined : equals);
    const spec = command.flags[name];
    if (!spec || name in flags) return undefined;
    if (spec.type === 'boolean') {
      if (equals !== -1) return undefined;
      flags[name] = true;
      continue;
    }
    const value = equals === -1 ? tokens[++i] : token.slice(equals + 1);
    if (value === undefined || value === '' || value.startsWith('-')) return undefined;
    if (spec.options && !spec.options.includes(value)) return undefined;
    if (integerFlags.includes(name)) {
      if (!/^\d+$/.test(value)) return undefined;
      flags[name] = Number.parseInt(value, 10);
    } else {
      flags[name] = value;
    }
  }
  const requiredArgs = Object.values(command.args).filter((a) => a.required).length;
  if (argv.length < requiredArgs) return undefined;
  for (const spec of specs) {
    if (!(spec.name in flags) && spec.default !== undefined) {
      if (typeof spec.default !== 'string' && typeof spec.default !== 'boolean' && typeof spec.default !== 'number') return undefined;
      flags[spec.name] = spec.default;
    }
  }
  return { argv, flags };
}

/**
 * The command `argv` names, ready to run without oclif, or undefined when oclif should run it (not
 * a direct command, arguments that are not plain, no manifest).
 */
export async function directCommand(
  argv: readonly string[],
  packageRoot: string,
): Promise<{ run: () => Promise<number>; reportFailure: DirectEntry['reportFailure'] } | undefined> {
  const [id, ...rest] = argv;
  const direct = id !== undefined && Object.hasOwn(DIRECT, id) ? DIRECT[id] : undefined;
  if (!direct) return undefined;
  const command = manifestCommand(packageRoot, id!);
  const parsed = command && parsePlainArgv(command, rest, direct.integerFlags);
  if (!parsed) return undefined;
  const entry = await loadDirectEntry();
  return { run: () => direct.run(entry, parsed.argv, parsed.flags), reportFailure: entry.reportFailure };
}

function manifestCommand(packageRoot: string, id: string): ManifestCommand | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(packageRoot, 'oclif.manifest.json'), 'utf8')) as { commands?: Record<string, ManifestCommand> };
    return manifest.commands?.[id];
  } catch {
    return undefined;
  }
}
