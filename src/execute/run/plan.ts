import { ExdefError } from '../../failure.js';
import type { ExtractDefinition, Frequency } from '../../ir/extract-definition.js';
import type { ExtractState, UnsavedMode } from '../extract-state.js';

/**
 * The plan stage: from the compiled definition, what was asked and the saved state, what this run
 * is — full or delta and why, what it is compared with, which record key it uses, whether it saves
 * the state. A pure function over plain data (no database, no clock): the one place the run's mode
 * is decided.
 */
export interface PlanInput {
  definition: Pick<ExtractDefinition, 'id' | 'mode' | 'schedule'>;
  /** The definition's data fingerprint now (plan.definition.fingerprint). */
  fingerprint: string;
  /** The output layout now (not in the fingerprint: a change of layout is judged against the state's). */
  layout: 'single_zip' | 'per_practice';
  /** The datasets of the compiled plan. */
  datasets: readonly string[];
  request: {
    extractDate: string;
    full: boolean;
    force: boolean;
    /** --practice: the practices (approved) the run is for; absent for a run of the whole definition. */
    practices?: readonly string[];
  };
  /** The state the last successful run saved, if any. */
  state: ExtractState | undefined;
  /** An extract placed in the output whose state was never saved (extract-state.ts, unsaved_full). */
  unsaved: { snapshot: string; mode: UnsavedMode } | undefined;
  /** The datasets whose held rows the state records in the current format, and whether it holds some in an older one. */
  held: { datasets: ReadonlySet<string>; olderFormat: boolean };
}

export interface RunPlan {
  mode: 'full' | 'delta';
  reason: string;
  /** A delta: the snapshot of the run whose holdings it is compared with (null for a full). */
  baseline: string | null;
  /** A run for some practices only: the practices it carries (the manifest's scope). */
  scope?: { practices: string[] };
  /**
   * What the commit stage saves once the output is in place:
   * - `state`: the whole state (a run of the whole definition);
   * - `resent`: what a re-send of some practices of a delta definition sent (extract-state.ts
   *   writeResent), so that the next delta compares with what the recipient holds after it — when a
   *   delta could follow the state at all;
   * - `nothing`: a re-send of a full definition, or of a delta definition whose next run is a full
   *   anyway (no state, a new fingerprint or layout, an extract placed without its state saved,
   *   held rows not recorded).
   */
  commit: 'state' | 'resent' | 'nothing';
  /**
   * The state's record key (a delta; a run for some practices, whose ids must match what the
   * recipient holds), or a new one (a new baseline of the whole definition).
   */
  recordKey: 'state' | 'new';
  /**
   * Whether the state's population and withheld patients are read: any run of a delta definition
   * with a state, so that patients withheld under no_backfill stay withheld through a new
   * baseline and a re-send.
   */
  carriesState: boolean;
}

export function planRun(input: PlanInput): RunPlan {
  const { definition, state, request } = input;
  const decided = decideMode(input);
  if (state && !request.force && !request.practices) checkSchedule(definition.schedule.frequency, state, request.extractDate);
  const scope = request.practices ? { practices: [...request.practices] } : undefined;
  const commit = !request.practices ? 'state' : learnsResend(input) ? 'resent' : 'nothing';
  return {
    ...decided,
    ...(commit === 'resent' ? { reason: `${decided.reason}; the delta state records the rows it sent, which the next delta is compared with` } : {}),
    baseline: decided.mode === 'delta' ? state!.lastSnapshot : null,
    ...(scope ? { scope } : {}),
    commit,
    recordKey: state && (decided.mode === 'delta' || request.practices) ? 'state' : 'new',
    carriesState: state !== undefined && definition.mode === 'delta',
  };
}

/**
 * Whether a re-send of some practices is recorded in the state: when a run of the whole definition
 * would be a delta now. Otherwise the next run is a full whatever the re-send sent — and the state
 * must not claim to know a dataset's holdings it does not.
 */
function learnsResend(input: PlanInput): boolean {
  const { practices: _practices, ...whole } = input.request;
  return decideMode({ ...input, request: { ...whole, full: false } }).mode === 'delta';
}

function decideMode(input: PlanInput): { mode: 'full' | 'delta'; reason: string } {
  const { definition, state, request, unsaved, held } = input;
  if (definition.mode === 'full') return { mode: 'full', reason: 'the definition is a full extract' };
  if (request.practices) return { mode: 'full', reason: `a run for some practices only (${request.practices.join(', ')}) is a full extract of them` };
  if (request.full) return { mode: 'full', reason: 'a full extract was asked for (--full)' };
  if (!state) return { mode: 'full', reason: 'the first run of this definition is a full extract' };
  if (state.fingerprint !== input.fingerprint) return { mode: 'full', reason: 'the definition changed since the last run (a new fingerprint): it starts again with a full extract' };
  if (state.layout && state.layout !== input.layout) {
    return { mode: 'full', reason: `the output layout changed since the last run (${state.layout} to ${input.layout}): a delta would not fit the copy the recipient holds, so it starts again with a full extract` };
  }
  if (unsaved) {
    return {
      mode: 'full',
      reason:
        unsaved.mode === 'full'
          ? `the full extract of ${unsaved.snapshot} may have been delivered without its state being saved: it is repeated, so that no delta follows it against the state before it`
          : unsaved.mode === 'resend'
            ? `the re-send of some practices of ${unsaved.snapshot} may have been delivered without the state recording what it sent: a full extract follows, since what the recipient holds is not known`
            : `the delta of ${unsaved.snapshot} may have been delivered without its state being saved: a full extract follows, since what the recipient holds is not known (that delta, or the state before it)`,
    };
  }
  if (input.datasets.some((d) => !held.datasets.has(d))) {
    return {
      mode: 'full',
      reason: held.olderFormat
        ? 'the state was saved by an earlier exdef, which kept the ids of the rows the recipient holds but not their content: a full extract is the new baseline that deltas are compared with'
        : 'the state does not record which rows the recipient holds (it was saved by an earlier exdef): a full extract starts again',
    };
  }
  return { mode: 'delta', reason: `the changes since the last run (${state.lastSnapshot})` };
}

const MIN_DAYS: Record<Frequency, number> = { hourly: 1, twice_daily: 1, daily: 1, weekly: 7, fortnightly: 14, monthly: 28, quarterly: 90 };

/** A run more often than the schedule allows is refused (seed 000: at most once per 24 hours). */
function checkSchedule(frequency: Frequency, state: ExtractState, extractDate: string): void {
  const days = (Date.parse(`${extractDate}T00:00:00Z`) - Date.parse(`${state.lastExtractDate}T00:00:00Z`)) / 86_400_000;
  if (days < MIN_DAYS[frequency]) {
    throw new ExdefError(
      `${state.definitionId} last ran for ${state.lastExtractDate}; its schedule is ${frequency.replace('_', ' ')}, so the next run is due ${addDays(state.lastExtractDate, MIN_DAYS[frequency])}`,
      { exitCode: 1, step: 'schedule', hints: ['add --force to run it anyway (e.g. to replace a failed delivery)'] },
    );
  }
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** A warning when the run starts outside the definition's window (UK time). */
export function outsideRunWindow(definition: Pick<ExtractDefinition, 'schedule'>, at: Date): string | undefined {
  const window = definition.schedule.window;
  if (!window) return undefined;
  const time = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hour12: false }).format(at);
  const inside = window.start <= window.end ? time >= window.start && time < window.end : time >= window.start || time < window.end;
  return inside ? undefined : `this run starts at ${time} UK time, outside the definition's window ${window.start}-${window.end}`;
}

/**
 * What changed the meaning of the data since the last run, besides the rows themselves: each is
 * sent as the upserts and deletes it causes (the delta is a comparison with what the recipient
 * holds), and the manifest names it.
 */
export function changesOfMeaning(
  definition: Pick<ExtractDefinition, 'datasets'>,
  state: Pick<ExtractState, 'terminology' | 'policy' | 'lastExtractDate'>,
  now: { extractDate: string; terminology: string | undefined; policy: string },
): string[] {
  const changes: string[] = [];
  if (state.terminology && now.terminology && state.terminology !== now.terminology) {
    changes.push('the terminology changed since the last run (a new release or refset membership): rows its code sets now select are sent and rows they no longer select are deleted');
  }
  if (state.policy && state.policy !== now.policy) {
    changes.push("the policy's sensitive code sets changed since the last run: rows they now exclude are deleted and rows they release are sent");
  }
  // The population (registrations, opt-outs, deaths on the date) and any today() filter are judged on the extract date.
  if (state.lastExtractDate !== now.extractDate) {
    const filters = datasetsReadTheDate(definition) ? 'the population and the filters relative to today()' : 'the population';
    changes.push(`${filters} are judged on ${now.extractDate} (the last run on ${state.lastExtractDate}): rows that no longer qualify on that date are deleted and rows that now do are sent`);
  }
  return changes;
}

/** Whether a dataset's filter or fields read the extract date (today(), an age): functions in the IR are plain data. */
function datasetsReadTheDate(definition: Pick<ExtractDefinition, 'datasets'>): boolean {
  return /"(today|age_years|age_band)"/.test(JSON.stringify(definition.datasets));
}
