import { processAlive } from '../process-alive.js';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ExdefError } from '../failure.js';

/**
 * One process at a time in an embedded database directory. PGlite keeps no lock of its own, and
 * two processes writing one data directory corrupt it (two runs of a definition at once would also
 * both deliver). The lock is a file made with O_EXCL holding the owner's pid; a lock whose process
 * has died (kill -9) is taken over.
 */
export function lockDirectory(dir: string, what: string): () => void {
  const path = join(dir, '.exdef.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        process.removeListener('exit', release);
        try {
          if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path, { force: true });
        } catch {
          // Already gone.
        }
      };
      process.on('exit', release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
        throw new ExdefError(`the ${what} is in use by another exdef process (pid ${owner}): one process at a time may open it`, {
          exitCode: 1,
          step: 'connect',
          hints: ['wait for that run to finish; a lock left by a killed process is taken over by the next one'],
        });
      }
      // A stale lock (its process is gone), or our own from an earlier open in this process.
      rmSync(path, { force: true });
    }
  }
  throw new ExdefError(`cannot lock the ${what}: its lock file ${path} keeps coming back`, { exitCode: 2, step: 'connect' });
}

