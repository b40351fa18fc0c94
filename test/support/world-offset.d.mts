/** How far the suite's clock is moved back (ms, whole days): see world-offset.mjs. */
export const LATEST_WORLD_DATE: string;
export function worldOffsetMs(now?: number): number;
