/** The real clock's time (ms): test/support/world-clock.mjs moves Date to the fixtures' date. */
export function realNow(): number;
