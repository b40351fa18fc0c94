/**
 * The test suite's world date. The fixtures are written for 2026-11-21 (definitions reviewed in
 * the three months before it, --today 2026-11-21 throughout), and exdef judges what only ever
 * tightens by the clock — an approval expires three months after the definition's review, an
 * exemption on its end date, whatever --today says. So that the suite means the same once those
 * dates have passed, the suite's clock stops at the last date the fixtures' approvals hold
 * (world-offset.mjs): this module moves `Date` back by whole days (times of day, durations and timers
 * are untouched) in the vitest workers (setupFiles) and, through NODE_OPTIONS, in every node
 * process a test starts (the CLI, the demo). Test support only: nothing of exdef reads it, and a
 * test that needs the real clock reads `realNow()`. .ci/run moves the throwaway PostgreSQL's
 * clock by the same days (libfaketime); a server started otherwise keeps the real one.
 *
 * EXDEF_TEST_WORLD_OFFSET_MS, set once by vitest.config.ts, is the shift; unset, this does nothing.
 */
const offset = Number(process.env.EXDEF_TEST_WORLD_OFFSET_MS ?? '0');
const RealDate = globalThis.Date;

if (offset !== 0 && !RealDate.__exdefRealDate) {
  function WorldDate(...args) {
    if (!new.target) return new RealDate(RealDate.now() + offset).toString();
    return Reflect.construct(RealDate, args.length === 0 ? [RealDate.now() + offset] : args, new.target);
  }
  WorldDate.prototype = RealDate.prototype;
  WorldDate.now = () => RealDate.now() + offset;
  WorldDate.parse = RealDate.parse;
  WorldDate.UTC = RealDate.UTC;
  WorldDate.__exdefRealDate = RealDate;
  globalThis.Date = WorldDate;
}

/** The real clock's time (ms), for the rare test that needs it. */
export function realNow() {
  return (globalThis.Date.__exdefRealDate ?? RealDate).now();
}
