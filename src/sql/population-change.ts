/** One row of the population query: a patient of the population base. */
export interface PopulationRow {
  patientId: string;
  practice: string;
  /** Left out only because an opt-out applies. */
  optedOut: boolean;
}

/** What a delta run remembers of the population it extracted (kept with the delta state). */
export interface PopulationState {
  /** The patients extracted, with their practice. */
  members: readonly { patientId: string; practice: string }[];
  /** The patients left out only because of an opt-out. */
  optedOut: readonly string[];
}

export function populationState(rows: readonly PopulationRow[]): PopulationState {
  return {
    members: rows.filter((r) => !r.optedOut).map((r) => ({ patientId: r.patientId, practice: r.practice })),
    optedOut: rows.filter((r) => r.optedOut).map((r) => r.patientId),
  };
}

/**
 * The patients who entered the population since the last run and so get their history in a delta:
 * in it now but not extracted last time (newly registered, newly matching the filter, back from a
 * PDS or deletion flag), except, with `on_opt_back_in: no_backfill`, those the last run left out
 * only for an opt-out (they get only what changes from now on); in per-practice layout, a patient
 * who moved practice also counts, so their history reaches their new practice's folder. A patient
 * who left is simply no longer extracted.
 */
export function enteredPatients(
  now: readonly PopulationRow[],
  previous: PopulationState,
  options: { onOptBackIn: 'backfill' | 'no_backfill'; perPractice: boolean },
): string[] {
  const before = new Map(previous.members.map((m) => [m.patientId, m.practice]));
  const optedOutBefore = new Set(previous.optedOut);
  const entered: string[] = [];
  for (const row of now) {
    if (row.optedOut) continue;
    const practiceBefore = before.get(row.patientId);
    if (practiceBefore !== undefined) {
      if (options.perPractice && practiceBefore !== row.practice) entered.push(row.patientId);
      continue;
    }
    if (optedOutBefore.has(row.patientId) && options.onOptBackIn === 'no_backfill') continue;
    entered.push(row.patientId);
  }
  return entered;
}
