import type { Catalogue } from '../catalogue/catalogue.js';
import type { Database } from '../db/database.js';
import { existingTables } from '../db/reporting-schema.js';
import { disclosureChecks, linkedDisclosureChecks, type DisclosureCheck, type LinkedDisclosureCheck } from '../disclosure/disclosure-checks.js';
import { ExdefError, isExdefError } from '../failure.js';
import type { ExtractDefinition } from '../ir/extract-definition.js';
import type { CompiledPlan } from '../sql/compile-extract.js';
import { CREATE_BIND_TABLE } from '../execute/copy-sql.js';

/** What the report shows of a measurement: where, on which date, and each dataset's check. */
export interface MeasuredDisclosure {
  /** The database, as messages name it (never with a password). */
  target: string;
  extractDate: string;
  checks: DisclosureCheck[];
  /** Datasets linked by a linkage key, measured as one table (the mosaic effect). */
  linked: LinkedDisclosureCheck[];
}

/**
 * Measures k-anonymity on the data exactly as `exdef run` does before it writes anything: each
 * dataset's compiled k-anonymity query (the plan's, with its parameters bound for the extract
 * date), and each group of linked datasets' combined query, in one read-only repeatable-read transaction, judged against the policy's threshold.
 * A database without the catalogue's tables, or one that refuses a query, is an ExdefError
 * (exit 2): the report is not written with a measurement it could not make.
 */
export async function measureDisclosure(db: Database, options: { plan: CompiledPlan; definition: ExtractDefinition; catalogue: Catalogue; extractDate: string; threshold: number; pseudonymisedBelowK?: 'refuse' | 'warn' }): Promise<MeasuredDisclosure> {
  const present = await existingTables(db, options.catalogue);
  const missing = options.catalogue.tables.filter((t) => !present.has(t.name)).map((t) => t.name);
  if (missing.length > 0) {
    throw new ExdefError(`${db.target} has no table ${missing.join(', ')} of the catalogue: k-anonymity cannot be measured there`, {
      exitCode: 2,
      step: 'measure k-anonymity',
      hints: ['create and fill it with `exdef db init` and `exdef db seed`, or give the catalogue that describes it with --catalogue'],
    });
  }
  const measured = await db.withSession(async (session) => {
    await session.exec(CREATE_BIND_TABLE);
    await session.exec('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      const values = { snapshotDate: options.extractDate };
      return {
        datasets: await disclosureChecks(session, options.plan, options.definition, values, options.threshold, options.pseudonymisedBelowK),
        linked: await linkedDisclosureChecks(session, options.plan, options.definition, values, options.threshold),
      };
    } catch (error) {
      if (isExdefError(error)) throw error;
      const message = ((error as Error).message ?? String(error)).split('\n')[0];
      throw new ExdefError(`measuring k-anonymity on ${db.target} failed: ${message}`, { exitCode: 2, step: 'measure k-anonymity', cause: error });
    } finally {
      await session.exec('ROLLBACK').catch(() => undefined);
    }
  });
  return { target: db.target, extractDate: options.extractDate, checks: measured.datasets, linked: measured.linked };
}
