// Parse + resolve many definitions in one process. Prints one JSON line.
//   node bench/cases/definitions.js yaml-only|yaml|exdef|lint|compile COUNT
// compile: the definitions are resolved first (not timed); the time is IR → verified SQL.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYamlText } from 'yaml';
import { referenceCatalogue } from '../../dist/src/catalogue/load-catalogue.js';
import { checkDefinitionText } from '../../dist/src/pipeline/check-definition.js';
import { lintDefinitionText, prepareLint, ruleCatalogue } from '../../dist/src/pipeline/lint-definition.js';
import { loadPolicy } from '../../dist/src/policy/policy.js';
import { compileExtract } from '../../dist/src/sql/compile-extract.js';

const [mode, countText] = process.argv.slice(2);
const count = Number(countText);
const dir = new URL('../../definitions/', import.meta.url).pathname;
const suffix = mode === 'exdef' ? '.exdef' : '.exdef.yaml';
// lint: half YAML, half exdef, with the full policy.
const sources = readdirSync(dir).filter((f) => f.endsWith(suffix)).map((f) => readFileSync(join(dir, f), 'utf8'));
// 1,000 distinct definitions: each shipped one with its own id and version.
const texts = Array.from({ length: count }, (_, i) => {
  const text = sources[i % sources.length];
  return mode === 'exdef' ? text.replace(/EXTRACT (\S+)/, `EXTRACT $1-${i}`) : text.replace(/^id: (\S+)/m, `id: $1-${i}`);
});
const catalogue = referenceCatalogue();
const lintContext = mode === 'lint' ? (await prepareLint({ catalogue, today: '2026-11-21' })).context : undefined;
const exdefTexts = mode === 'lint' ? readdirSync(dir).filter((f) => f.endsWith('.exdef')).map((f) => readFileSync(join(dir, f), 'utf8')) : [];
const policy = loadPolicy(ruleCatalogue).policy;
const resolved = mode === 'compile' ? texts.map((t, i) => checkDefinitionText(`d${i}${suffix}`, t, { catalogue }).definition) : [];
const started = performance.now();
const cpuStarted = process.cpuUsage();
let errors = 0;
let queries = 0;
for (let i = 0; i < texts.length; i++) {
  if (mode === 'yaml-only') {
    parseYamlText(texts[i]);
    continue;
  }
  if (mode === 'compile') {
    if (!resolved[i]) {
      errors++;
      continue;
    }
    const plan = compileExtract(resolved[i], { catalogue, policy, today: '2026-11-21' });
    queries += 1 + plan.datasets.length;
    continue;
  }
  if (mode === 'lint') {
    const exdef = i % 2 === 1;
    const text = exdef ? exdefTexts[i % exdefTexts.length].replace(/EXTRACT (\S+)/, `EXTRACT $1-${i}`) : texts[i];
    const linted = lintDefinitionText(`d${i}${exdef ? '.exdef' : suffix}`, text, lintContext);
    if (!linted.definition || linted.diagnostics.some((d) => d.severity === 'error')) errors++;
    continue;
  }
  const checked = checkDefinitionText(`d${i}${suffix}`, texts[i], { catalogue });
  if (!checked.definition) errors++;
}
const seconds = (performance.now() - started) / 1000;
// CPU time of the loop too: on a machine shared with other work, wall time says more about the neighbours.
const cpu = process.cpuUsage(cpuStarted);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log(JSON.stringify({ seconds, cpuSeconds, count, errors, queries, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
