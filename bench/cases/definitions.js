// Parse + resolve many definitions in one process. Prints one JSON line.
//   node bench/cases/definitions.js yaml-only|yaml|exdef|lint COUNT
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYamlText } from 'yaml';
import { referenceCatalogue } from '../../dist/src/catalogue/load-catalogue.js';
import { checkDefinitionText } from '../../dist/src/pipeline/check-definition.js';
import { lintDefinitionText, prepareLint } from '../../dist/src/pipeline/lint-definition.js';

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
const started = performance.now();
let errors = 0;
for (let i = 0; i < texts.length; i++) {
  if (mode === 'yaml-only') {
    parseYamlText(texts[i]);
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
console.log(JSON.stringify({ seconds, count, errors, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
