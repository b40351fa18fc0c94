import { existsSync } from 'node:fs';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { chooseDatabase, openDatabase } from '../db/open-database.js';
import { ExdefError } from '../failure.js';
import { checkDefinitionFile } from '../pipeline/check-definition.js';
import { compileDefinitionFile } from '../pipeline/compile-definition.js';
import type { LintContext } from '../pipeline/lint-definition.js';
import type { MeasuredDisclosure } from './measure-disclosure.js';
import { buildReviewReport, type ReviewReport } from './review-report.js';

export interface ReviewOptions {
  context: LintContext;
  /** The previously approved version, for the semantic diff. */
  previous?: string;
  /** A database holding the reporting data to measure k-anonymity on: a postgres:// URL or pglite:DIR. */
  database?: string;
}

/** A review, or the file that could not be reviewed and why (its diagnostics). */
export type ReviewOutcome = { report: ReviewReport; notes: string[]; practices: string[] } | { unusable: { file: string; diagnostics: Diagnostic[] } };

/**
 * The review of one definition file: linted (and compiled when it lints clean), compared with
 * the previous version when given, measured on a database when given. A definition with lint
 * errors is still reviewed — that is when the reviewer needs it — but one that does not parse or
 * resolve (or a previous version that does not) cannot be, and comes back as `unusable`.
 */
export async function reviewDefinitionFile(file: string, options: ReviewOptions): Promise<ReviewOutcome> {
  const compiled = compileDefinitionFile(file, options.context);
  if (!compiled.definition) return { unusable: { file, diagnostics: compiled.diagnostics } };
  const definition = compiled.definition;
  let previous: { file: string; definition: NonNullable<typeof compiled.definition> } | undefined;
  if (options.previous !== undefined) {
    const before = checkDefinitionFile(options.previous, { catalogue: options.context.catalogue });
    if (!before.definition) return { unusable: { file: options.previous, diagnostics: before.diagnostics } };
    previous = { file: options.previous, definition: before.definition };
  }
  const notes: string[] = [];
  let measured: MeasuredDisclosure | undefined;
  if (options.database !== undefined) {
    if (!compiled.plan || compiled.diagnostics.some((d) => d.severity === 'error')) {
      notes.push('k-anonymity was not measured: the definition has lint errors, so it does not compile to the queries that measure it');
    } else {
      const target = chooseDatabase({ url: options.database, env: {} });
      if (target.engine === 'pglite' && target.dataDir !== undefined && !existsSync(target.dataDir)) {
        throw new ExdefError(`no embedded database at ${target.dataDir}`, { exitCode: 2, step: 'connect', hints: ['create one with `exdef db seed --database pglite:DIR`'] });
      }
      const db = await openDatabase(target);
      try {
        const { measureDisclosure } = await import('./measure-disclosure.js');
        measured = await measureDisclosure(db, {
          plan: compiled.plan,
          definition,
          catalogue: options.context.catalogue,
          extractDate: options.context.today,
          threshold: options.context.policy.thresholds.kAnonymity,
          pseudonymisedBelowK: options.context.policy.thresholds.pseudonymisedBelowK,
        });
      } finally {
        await db.close();
      }
    }
  }
  const report = await buildReviewReport({ compiled: { ...compiled, definition }, context: options.context, ...(previous ? { previous } : {}), ...(measured ? { measured } : {}) });
  return { report, notes, practices: [...definition.population.practices] };
}
