/**
 * How far the suite's clock is moved back (ms, whole days; 0 until it is needed): the fixtures are
 * written for --today 2026-11-21 and every shipped definition's approvals hold until at least
 * 2026-12-15, so after 2026-12-14 the suite runs as if it were that date (the time of day kept).
 * vitest.config.ts moves node's clock by it (world-clock.mjs) and .ci/run the throwaway
 * PostgreSQL's (libfaketime, .ci/postgres.sh), so that both engines judge the same date.
 * `node test/support/world-offset.mjs` prints it.
 */
export const LATEST_WORLD_DATE = '2026-12-14';

export function worldOffsetMs(now = Date.now()) {
  const realToday = new Date(now).toISOString().slice(0, 10);
  const worldDate = realToday < LATEST_WORLD_DATE ? realToday : LATEST_WORLD_DATE;
  return Date.parse(`${worldDate}T00:00:00Z`) - Date.parse(`${realToday}T00:00:00Z`);
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(String(worldOffsetMs()));
