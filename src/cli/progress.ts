/**
 * Progress for a person watching: a bar on a TTY (cli-progress), nothing otherwise, so logs and
 * cron mail stay clean. cli-progress is loaded only when a bar is shown.
 */
import { inCi } from '../ci-environment.js';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

const silent: Progress = { update: () => undefined, stop: () => undefined };

export async function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): Promise<Progress> {
  if (!stream.isTTY || inCi()) return silent;
  const { SingleBar, Presets } = await import('cli-progress');
  const started = Date.now();
  const bar = new SingleBar(
    {
      format: `${label} {bar} {percentage}% | {value}/{total} | {rate}/s | {eta_formatted} left`,
      stream,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  let started_ = false;
  return {
    update(done, total) {
      if (!started_) {
        bar.start(total, 0, { rate: '0' });
        started_ = true;
      }
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      bar.update(done, { rate: Math.round(done / seconds).toLocaleString('en-GB') });
    },
    stop() {
      if (started_) bar.stop();
    },
  };
}
