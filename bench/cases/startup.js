// Wall time of a fresh process, median of several runs. Prints one JSON line.
//   node bench/cases/startup.js RUNS -- COMMAND ARGS...
import { spawnSync } from 'node:child_process';

const runs = Number(process.argv[2]);
const command = process.argv.slice(process.argv.indexOf('--') + 1);
const times = [];
for (let i = 0; i < runs; i++) {
  const started = performance.now();
  const result = spawnSync(command[0], command.slice(1), { stdio: 'ignore' });
  times.push((performance.now() - started) / 1000);
  if (result.status !== 0 && result.status !== 1) throw new Error(`${command.join(' ')} exited ${result.status}`);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ seconds: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1] }));
