// Wall time of fresh processes, median of several runs. The commands take turns (one run of each,
// then the next round), so that a neighbour's burst of work on a shared machine weighs on all of
// them alike and the ratios between them hold. Prints one JSON line: one result per command.
//   node bench/cases/startup.js RUNS '[["node","-e","0"],["node","bin/run.js","--help"]]'
import { spawnSync } from 'node:child_process';

const runs = Number(process.argv[2]);
const commands = JSON.parse(process.argv[3]);
const times = commands.map(() => []);
for (let i = 0; i < runs; i++) {
  commands.forEach((command, c) => {
    const started = performance.now();
    const result = spawnSync(command[0], command.slice(1), { stdio: 'ignore' });
    times[c].push((performance.now() - started) / 1000);
    if (result.status !== 0 && result.status !== 1) throw new Error(`${command.join(' ')} exited ${result.status}`);
  });
}
console.log(JSON.stringify(times.map((t) => {
  t.sort((a, b) => a - b);
  return { seconds: t[Math.floor(t.length / 2)], min: t[0], max: t[t.length - 1] };
})));
