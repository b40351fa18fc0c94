import type { Catalogue } from '../../catalogue/catalogue.js';
import type { Database } from '../../db/database.js';
import { catalogueTableAccess, grantSelect } from '../../db/role-check.js';
import { ExdefError } from '../../failure.js';
import type { PopulationState } from '../../sql/population-change.js';
import { ensureStateSchema, readHeldDatasets, readHeldRecords, readPopulationState, readState, readUnsavedFull, readWithheld, type ExtractState } from '../extract-state.js';
import { HeldRows } from '../held-rows.js';
import { lockRun } from '../run-lock.js';
import type { PlanInput, RunPlan } from './plan.js';

/** What the plan stage needs of the database: the saved state, read after the run's lock is taken. */
export interface SavedState {
  state: ExtractState | undefined;
  unsaved: PlanInput['unsaved'];
  held: PlanInput['held'];
  /** Releases the run's lock on its definition (run-lock.ts). */
  unlock: () => Promise<void>;
}

/**
 * Opens the run's side of the database: the catalogue's tables there and readable, the state
 * schema made when missing, the definition's lock taken (runs of one definition never overlap, a
 * re-send of some practices included: it too records what it sent), and the state read.
 */
export async function loadSavedState(db: Database, catalogue: Catalogue, definition: { id: string; mode: 'full' | 'delta' }): Promise<SavedState> {
  await checkTables(db, catalogue);
  await ensureStateSchema(db);
  const unlock = await lockRun(db, definition.id);
  try {
    const state = await readState(db, definition.id);
    const delta = state !== undefined && definition.mode === 'delta';
    return {
      state,
      unsaved: delta ? await readUnsavedFull(db, definition.id) : undefined,
      held: delta ? await readHeldDatasets(db, definition.id) : { datasets: new Set(), olderFormat: false },
      unlock,
    };
  } catch (error) {
    await unlock().catch(() => undefined);
    throw error;
  }
}

/** What the recipient holds and whom it withholds, as the run's plan needs them. */
export interface Holdings {
  /** By dataset; empty for a full extract (a new baseline: every row an upsert). */
  held: Map<string, HeldRows>;
  /** The population the last run saved (undefined when the plan does not carry the state). */
  previous?: PopulationState;
  /** Patients withheld under no_backfill by the last run (µs instants). */
  withheld: Map<number, number>;
}

export async function loadHoldings(db: Database, definitionId: string, plan: RunPlan): Promise<Holdings> {
  const held = plan.mode === 'delta' ? (await readHeldRecords(db, definitionId)).held : new Map<string, HeldRows>();
  if (!plan.carriesState) return { held, withheld: new Map() };
  return { held, previous: await readPopulationState(db, definitionId), withheld: await readWithheld(db, definitionId) };
}

/** The reporting tables the catalogue names must be there: a missing one is a clear error, before anything runs. */
async function checkTables(db: Database, catalogue: Catalogue): Promise<void> {
  const { missing, unreadable } = await catalogueTableAccess(db, catalogue);
  if (missing.length > 0) {
    throw new ExdefError(`${db.target} has no table ${missing.join(', ')}`, {
      exitCode: 2,
      step: 'database',
      hints: ['create the reporting schema with `exdef db init` (and load SNOMED CT with `exdef terminology import`), or name the right database with --database'],
    });
  }
  if (unreadable.length > 0) {
    const [{ role } = { role: 'the extract role' }] = await db.query<{ role: string }>('SELECT current_user AS role');
    throw new ExdefError(`the database role ${role} may not read ${unreadable.join(', ')}`, {
      exitCode: 2,
      step: 'database',
      hints: [`as an administrator: ${grantSelect(unreadable, role)} (exdef db check lists everything the role lacks)`],
    });
  }
}
