/**
 * Whether a process of this pid is running on this machine (this process included): a signal 0
 * reaches it, or is refused because it belongs to another user. Stale lock files and temporary
 * directories are named by the pid that made them.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
