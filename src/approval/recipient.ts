import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { ExtractDefinition } from '../ir/extract-definition.js';
import { ExdefError } from '../failure.js';

/**
 * The recipient a practice approves delivery to: sha256 of the certificate file the definition
 * names (output.encryption.certificate, relative to the definition), or undefined when the extract
 * is not encrypted. The definition names the file, not its content, so replacing the certificate
 * behind an unchanged definition would send the data to someone else under the same approval; an
 * approval therefore binds the certificate's bytes too, and a run checks them.
 */
export function recipientDigest(definitionFile: string, definition: Pick<ExtractDefinition, 'output'>): string | undefined {
  const written = definition.output.encryption?.certificate;
  if (written === undefined) return undefined;
  return certificateDigest(isAbsolute(written) ? written : join(dirname(definitionFile), written));
}

/** sha256 of a certificate file's bytes. */
export function certificateDigest(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new ExdefError(`cannot read the recipient certificate ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}): an approval names the certificate's content, so it must be there`, {
      exitCode: 2,
      step: 'approvals',
    });
  }
  return createHash('sha256').update(bytes).digest('hex');
}
