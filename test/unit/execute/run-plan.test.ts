/**
 * The plan stage (src/execute/run/plan.ts): every decision of a run's mode, from plain data — no
 * database, no clock.
 */
import { describe, expect, it } from 'vitest';
import { isExdefError } from '../../../src/failure.js';
import type { ExtractState } from '../../../src/execute/extract-state.js';
import { changesOfMeaning, planRun, type PlanInput } from '../../../src/execute/run/plan.js';
import { returningPatients, withheldPatients } from '../../../src/execute/run/withheld.js';

const STATE: ExtractState = {
  definitionId: 'feed',
  fingerprint: 'f1',
  recordKey: 'k'.repeat(64),
  lastSnapshot: '2026-11-21T02:00:00.000000Z',
  lastExtractDate: '2026-11-21',
  lastMode: 'delta',
  runs: 3,
};

function input(over: Partial<Omit<PlanInput, 'request'>> & { request?: Partial<PlanInput['request']> } = {}): PlanInput {
  const { request, ...rest } = over;
  return {
    definition: { id: 'feed', mode: 'delta', schedule: { frequency: 'daily' } },
    fingerprint: 'f1',
    layout: 'single_zip',
    datasets: ['children', 'immunisations'],
    state: STATE,
    unsaved: undefined,
    held: { datasets: new Set(['children', 'immunisations']), olderFormat: false },
    ...rest,
    request: { extractDate: '2026-11-22', full: false, force: false, ...request },
  };
}

describe('planRun', () => {
  it('a delta definition with a saved state, nothing asked: a delta compared with the last run, with its record key', () => {
    const plan = planRun(input());
    expect(plan).toEqual({ mode: 'delta', reason: 'the changes since the last run (2026-11-21T02:00:00.000000Z)', baseline: STATE.lastSnapshot, commit: 'state', recordKey: 'state', carriesState: true });
  });

  it('a full definition is always a full extract, with a new record key', () => {
    const plan = planRun(input({ definition: { id: 'feed', mode: 'full', schedule: { frequency: 'daily' } } }));
    expect(plan).toMatchObject({ mode: 'full', reason: 'the definition is a full extract', baseline: null, commit: 'state', recordKey: 'new', carriesState: false });
  });

  it('the first run (no state) is a full extract', () => {
    const plan = planRun(input({ state: undefined, held: { datasets: new Set(), olderFormat: false } }));
    expect(plan).toMatchObject({ mode: 'full', baseline: null, recordKey: 'new', carriesState: false, commit: 'state' });
    expect(plan.reason).toMatch(/first run/);
  });

  it('--full is a new baseline that still carries the withheld patients', () => {
    const plan = planRun(input({ request: { full: true } }));
    expect(plan).toMatchObject({ mode: 'full', baseline: null, recordKey: 'new', carriesState: true, commit: 'state' });
    expect(plan.reason).toMatch(/--full/);
  });

  it('a new fingerprint starts again with a full extract', () => {
    const plan = planRun(input({ fingerprint: 'f2' }));
    expect(plan).toMatchObject({ mode: 'full', recordKey: 'new', carriesState: true });
    expect(plan.reason).toMatch(/new fingerprint/);
  });

  it('a change of output layout (not in the fingerprint) starts again with a full; a state that does not say its layout does not', () => {
    const plan = planRun(input({ state: { ...STATE, layout: 'per_practice' } }));
    expect(plan).toMatchObject({ mode: 'full', recordKey: 'new', carriesState: true });
    expect(plan.reason).toBe('the output layout changed since the last run (per_practice to single_zip): a delta would not fit the copy the recipient holds, so it starts again with a full extract');
    expect(planRun(input({ state: { ...STATE, layout: 'single_zip' } })).mode).toBe('delta');
    expect(planRun(input()).mode, 'an older state, without a layout').toBe('delta');
  });

  it('an extract placed without its state saved: a full is repeated, and a delta is followed by a full', () => {
    const afterFull = planRun(input({ unsaved: { snapshot: '2026-11-22T02:00:00Z', mode: 'full' } }));
    expect(afterFull).toMatchObject({ mode: 'full', recordKey: 'new' });
    expect(afterFull.reason).toMatch(/^the full extract of 2026-11-22T02:00:00Z may have been delivered without its state being saved: it is repeated/);
    const afterDelta = planRun(input({ unsaved: { snapshot: '2026-11-22T02:00:00Z', mode: 'delta' } }));
    expect(afterDelta.mode).toBe('full');
    expect(afterDelta.reason).toMatch(/^the delta of 2026-11-22T02:00:00Z may have been delivered without its state being saved: a full extract follows/);
  });

  it('a state in an older format, or one that does not record a dataset, is followed by a full', () => {
    const older = planRun(input({ held: { datasets: new Set(), olderFormat: true } }));
    expect(older.mode).toBe('full');
    expect(older.reason).toMatch(/saved by an earlier exdef, which kept the ids .* but not their content/);
    const missing = planRun(input({ held: { datasets: new Set(['children']), olderFormat: false } }));
    expect(missing.mode).toBe('full');
    expect(missing.reason).toMatch(/does not record which rows the recipient holds/);
  });

  it('--practice: a full extract of those practices with the state\'s record key, scoped, recorded as sent, the schedule not checked', () => {
    const plan = planRun(input({ request: { practices: ['A81001'], extractDate: '2026-11-21' } }));
    expect(plan).toEqual({
      mode: 'full',
      reason: 'a run for some practices only (A81001) is a full extract of them; the delta state records the rows it sent, which the next delta is compared with',
      baseline: null,
      scope: { practices: ['A81001'] },
      commit: 'resent',
      recordKey: 'state',
      carriesState: true,
    });
    // --full with --practice is the same re-send.
    expect(planRun(input({ request: { practices: ['A81001'], full: true } })).commit).toBe('resent');
  });

  it('--practice records nothing when the next run is a full anyway: no state, a full definition, a new fingerprint or layout, an unsaved extract, held rows not recorded', () => {
    const nothing = (over: Parameters<typeof input>[0]) => {
      const plan = planRun(input({ ...over, request: { practices: ['A81002'], ...over?.request } }));
      expect(plan).toMatchObject({ mode: 'full', scope: { practices: ['A81002'] }, commit: 'nothing' });
      expect(plan.reason).not.toMatch(/records/);
      return plan;
    };
    // Without a state there is no record key to reuse.
    expect(nothing({ state: undefined, held: { datasets: new Set(), olderFormat: false } }).recordKey).toBe('new');
    expect(nothing({ definition: { id: 'feed', mode: 'full', schedule: { frequency: 'daily' } } }).carriesState).toBe(false);
    expect(nothing({ fingerprint: 'f2', request: { full: true } }).recordKey).toBe('state');
    expect(nothing({ state: { ...STATE, layout: 'per_practice' } }).reason).toBe('a run for some practices only (A81002) is a full extract of them');
    nothing({ unsaved: { snapshot: 'x', mode: 'delta' } });
    nothing({ unsaved: { snapshot: 'x', mode: 'resend' } });
    nothing({ held: { datasets: new Set(['children']), olderFormat: false } });
    nothing({ held: { datasets: new Set(), olderFormat: true } });
  });

  it('after a re-send placed without its record saved, the next run is a full', () => {
    const plan = planRun(input({ unsaved: { snapshot: '2026-11-21T09:00:00Z', mode: 'resend' } }));
    expect(plan).toMatchObject({ mode: 'full', commit: 'state', recordKey: 'new' });
    expect(plan.reason).toMatch(/^the re-send of some practices of 2026-11-21T09:00:00Z may have been delivered without the state recording what it sent/);
  });

  it('refuses a run before the schedule is due, unless forced', () => {
    let caught: unknown;
    try {
      planRun(input({ definition: { id: 'feed', mode: 'delta', schedule: { frequency: 'weekly' } } }));
    } catch (error) {
      caught = error;
    }
    expect(isExdefError(caught) && caught.step).toBe('schedule');
    expect((caught as Error).message).toBe('feed last ran for 2026-11-21; its schedule is weekly, so the next run is due 2026-11-28');
    expect(planRun(input({ definition: { id: 'feed', mode: 'delta', schedule: { frequency: 'weekly' } }, request: { force: true } })).mode).toBe('delta');
  });
});

describe('changesOfMeaning', () => {
  const definition = { datasets: [] };
  it('names a terminology update, new policy sets and a new extract date; nothing when none changed', () => {
    const state = { terminology: 't1', policy: 'p1', lastExtractDate: '2026-11-21' };
    expect(changesOfMeaning(definition, state, { extractDate: '2026-11-21', terminology: 't1', policy: 'p1' })).toEqual([]);
    const changes = changesOfMeaning(definition, state, { extractDate: '2026-11-22', terminology: 't2', policy: 'p2' });
    expect(changes).toHaveLength(3);
    expect(changes[0]).toMatch(/terminology changed/);
    expect(changes[1]).toMatch(/sensitive code sets changed/);
    expect(changes[2]).toMatch(/^the population are judged on 2026-11-22/);
  });
});

describe('withheldPatients (on_opt_back_in: no_backfill)', () => {
  const previous = { members: [{ patientId: '1', practice: 'A81001' }], optedOut: ['2', '3'] };
  const now = [
    { patientId: '1', practice: 'A81001', optedOut: false },
    { patientId: '2', practice: 'A81001', optedOut: false },
    { patientId: '3', practice: 'A81001', optedOut: true },
    { patientId: '4', practice: 'A81001', optedOut: false },
  ];
  it('withholds a patient back from an opt-out from when the opt-out ended, not from the last run', () => {
    expect(returningPatients(now, previous)).toEqual(['2']);
    const withheld = withheldPatients({ now, previous, before: new Map(), onOptBackIn: 'no_backfill', optedBackIn: new Map([[2, 5_000]]), snapshotUs: 9_000 });
    expect([...withheld]).toEqual([[2, 5_000]]);
  });

  it('takes the snapshot when the end is not recorded, or lies after it', () => {
    expect([...withheldPatients({ now, previous, before: new Map(), onOptBackIn: 'no_backfill', optedBackIn: new Map(), snapshotUs: 9_000 })]).toEqual([[2, 9_000]]);
    expect([...withheldPatients({ now, previous, before: new Map(), onOptBackIn: 'no_backfill', optedBackIn: new Map([[2, 12_000]]), snapshotUs: 9_000 })]).toEqual([[2, 9_000]]);
  });

  it('keeps those already withheld (present or away for a while); withholds no one under backfill', () => {
    const before = new Map([
      [1, 100],
      [7, 200],
    ]);
    const withheld = withheldPatients({ now, previous, before, onOptBackIn: 'no_backfill', optedBackIn: new Map([[2, 5_000]]), snapshotUs: 9_000 });
    expect(new Map(withheld)).toEqual(new Map([[1, 100], [7, 200], [2, 5_000]]));
    expect(withheldPatients({ now, previous, before, onOptBackIn: 'backfill', optedBackIn: new Map(), snapshotUs: 9_000 }).size).toBe(0);
  });
});
