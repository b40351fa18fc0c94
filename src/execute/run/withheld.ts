import type { PopulationRow, PopulationState } from '../../sql/population-change.js';

/**
 * Patients back from an opt-out whose earlier rows are not sent (on_opt_back_in: no_backfill),
 * each with the instant (µs since 1970) before which a row of theirs counts as earlier: when they
 * came back — the end of the opt-out that kept them out (`optedBackIn`, read from the opt-out
 * table), or the run's snapshot when the end is not recorded (`snapshotUs`). A row recorded while
 * they were opted out is therefore withheld too: it changed before they came back.
 *
 * A patient stays withheld until they opt out again (and then from their next return): one out of
 * the population for a while — a night their practice's approval lapsed, a registration that
 * ended and began again — is not backfilled when they are back.
 */
export function withheldPatients(input: {
  /** The population now (the population query of this run). */
  now: readonly PopulationRow[];
  /** The population the last successful run saved. */
  previous: PopulationState;
  /** The patients the last run withheld, with their instants. */
  before: ReadonlyMap<number, number>;
  onOptBackIn: 'backfill' | 'no_backfill';
  /** When each patient's applied opt-out ended (µs), for the patients `returning` names. */
  optedBackIn: ReadonlyMap<number, number>;
  snapshotUs: number;
}): Map<number, number> {
  const withheld = new Map<number, number>();
  if (input.onOptBackIn === 'backfill') return withheld;
  const present = new Set(input.now.map((row) => Number(row.patientId)));
  for (const [patient, since] of input.before) {
    if (!present.has(patient)) withheld.set(patient, since);
  }
  const back = new Set(returningPatients(input.now, input.previous));
  for (const row of input.now) {
    if (row.optedOut) continue;
    const patient = Number(row.patientId);
    const since = input.before.get(patient);
    if (since !== undefined) withheld.set(patient, since);
    else if (back.has(row.patientId)) withheld.set(patient, Math.min(input.optedBackIn.get(patient) ?? input.snapshotUs, input.snapshotUs));
  }
  return withheld;
}

/** Patients in the population now whom the last run left out only for an opt-out: they have opted back in. */
export function returningPatients(now: readonly PopulationRow[], previous: PopulationState): string[] {
  const members = new Set(previous.members.map((m) => m.patientId));
  const optedOut = new Set(previous.optedOut);
  return now.filter((row) => !row.optedOut && !members.has(row.patientId) && optedOut.has(row.patientId)).map((row) => row.patientId);
}
