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
