import { linkSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ExtractDefinition } from '../../ir/extract-definition.js';
import type { ExcludedPractice } from '../../approval/practice-approvals.js';
import { encryptSmime } from '../encrypt.js';
import { writeLogFile } from '../log-file.js';
import { writeZip } from '../zip.js';
import type { Extracted } from './extract.js';
import type { Manifest } from './manifest.js';
import type { RunEvents } from './run-options.js';

export interface PackageInput {
  definition: ExtractDefinition;
  manifest: Manifest;
  extracted: Extracted;
  /** The temporary directory holding the CSVs; the package is made there, and it is removed once the output is in place. */
  work: string;
  out: string;
  extractDate: string;
  certificate: string | undefined;
  excluded: ExcludedPractice[];
  started: Date;
  now: () => Date;
  events: RunEvents;
  /** Called just before the output is placed under its final name (the state's "placed, not yet saved" mark). */
  beforePlacing?: () => Promise<void>;
  /** Told once the output is in place. */
  onPlaced?: () => void;
}

export interface Packaged {
  /** The delivered file: the ZIP, or the .zip.enc. */
  output: string;
  log: string;
  bytes: number;
  encrypted: boolean;
}

/**
 * The package stage: the CSVs and manifest.json into one ZIP (S/MIME-encrypted to the recipient's
 * certificate when there is one), placed under its final name only when complete — never over
 * another run's file — then the temporary directory removed and the seed-000 log file written.
 */
export async function packageExtract(p: PackageInput): Promise<Packaged> {
  p.events.step('packaging');
  const name = `${p.definition.id}_${p.extracted.snapshot.slice(0, 19).replace(/[-:]/g, '')}Z_${p.manifest.mode}.zip`;
  const zipTemporary = join(p.work, name);
  // Each CSV was deflated as it was written (a packed entry, zip-entry.ts): copied, not compressed again.
  await writeZip(zipTemporary, [...p.extracted.files.map((f) => ({ name: f.path, packed: join(p.work, f.path) })), { name: 'manifest.json', text: `${JSON.stringify(p.manifest, null, 2)}\n` }], {
    mtime: new Date(p.extracted.snapshot),
    ...(p.definition.output.compression ? { compression: p.definition.output.compression } : {}),
  });
  let finished = zipTemporary;
  if (p.certificate) {
    p.events.step('encrypting (S/MIME, AES-256)');
    finished = `${zipTemporary}.enc`;
    await encryptSmime(zipTemporary, finished, p.certificate);
  }
  await p.beforePlacing?.();
  const output = placeUnder(finished, p.out);
  p.onPlaced?.();
  rmSync(p.work, { recursive: true, force: true });
  const log = writeLogFile(p.out, p.extractDate, { status: 'COMPLETE', started: p.started, completed: p.now(), errors: 0, files: p.extracted.files.length, excluded: p.excluded });
  return { output, log, bytes: statSync(output).size, encrypted: p.certificate !== undefined };
}

/**
 * Moves the finished file into `out` under its name — or, when a file of that name is there (two
 * runs in one second), under `name-2`, `name-3`, ...: a hard link never replaces an existing file,
 * so two runs can never overwrite each other's delivery. Returns the final path.
 */
function placeUnder(file: string, out: string): string {
  const name = basename(file);
  const dot = name.indexOf('.');
  for (let n = 1; ; n++) {
    const candidate = join(out, n === 1 ? name : `${name.slice(0, dot)}-${n}${name.slice(dot)}`);
    try {
      linkSync(file, candidate);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && n < 100) continue;
      throw error;
    }
    rmSync(file);
    return candidate;
  }
}
