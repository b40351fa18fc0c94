/**
 * Whether we run under CI, as CI services say it: `CI` set to any true value (`true`, `1`, `yes`;
 * GitHub, GitLab and most others set `true`, some `1`). Unset, empty, `0`, `false` and `no` are not CI.
 */
export function inCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = (env['CI'] ?? '').trim().toLowerCase();
  return value !== '' && value !== '0' && value !== 'false' && value !== 'no';
}
