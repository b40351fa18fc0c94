/**
 * What a run writes holds patient data: every file is readable by its owner only (0600) from its
 * first byte, in directories only the owner can enter (0700), whatever the caller's umask. Each
 * file and directory is created with these modes, and a run holds the umask at 077 while it runs
 * so that nothing made on the way (openssl's output, a library's temporary file) is more open.
 */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIRECTORY_MODE = 0o700;

/** Runs `fn` with the process umask at 077, restored afterwards. */
export async function withPrivateUmask<T>(fn: () => Promise<T>): Promise<T> {
  const previous = process.umask(0o077);
  try {
    return await fn();
  } finally {
    process.umask(previous);
  }
}
