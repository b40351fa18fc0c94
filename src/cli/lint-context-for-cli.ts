import type { Catalogue } from '../catalogue/catalogue.js';
import { paletteFor, renderDiagnostics } from '../diagnostics/render-terminal.js';
import { ExdefError } from '../failure.js';
import { prepareLint, type LintContext } from '../pipeline/lint-definition.js';
import { parseIsoDate, todayUtc } from '../seed/calendar.js';

/** `--today`, checked: the date every date check is made on (default: today, UTC). */
export function todayFromFlag(today: string | undefined): string {
  const date = today ?? todayUtc();
  if (parseIsoDate(date) === undefined) throw new ExdefError(`--today must be a date written YYYY-MM-DD, not ${JSON.stringify(date)}`, { exitCode: 2 });
  return date;
}

/**
 * The lint context of a command (lint, compile): the policy (extended by --policy) and the
 * terminology (--terminology, or the shipped sample). An unusable one is printed and exit 2.
 */
export async function lintContextForCommand(options: { catalogue: Catalogue; today: string; policy?: string | undefined; terminology?: string | undefined }): Promise<LintContext> {
  const prepared = await prepareLint({
    catalogue: options.catalogue,
    today: options.today,
    ...(options.policy ? { policyFile: options.policy } : {}),
    ...(options.terminology ? { terminologyDir: options.terminology } : {}),
  });
  if (!prepared.context) {
    process.stderr.write(renderDiagnostics(prepared.diagnostics, undefined, paletteFor(process.stderr)));
    throw new ExdefError(options.policy ? `the policy ${options.policy} is not usable` : 'the terminology is not usable', { exitCode: 2 });
  }
  return prepared.context;
}
