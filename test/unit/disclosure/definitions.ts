import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resources } from '../../../src/resources.js';
import { compileText } from '../../support/compile.js';

/** phm-warehouse with its datasets replaced: `datasets` maps each dataset to [from, [field, value]...]. */
export function withDatasets(datasets: Record<string, [from: string, fields: [string, string][]]>, options: { mode?: 'full' | 'delta'; care?: 'direct' | 'indirect' } = {}): string {
  let text = readFileSync(join(resources.definitions, 'phm-warehouse.exdef.yaml'), 'utf8');
  const yaml = Object.entries(datasets)
    .map(([name, [from, fields]]) => `  - name: ${name}\n    from: ${from}\n    fields:\n${fields.map(([f, v]) => `      - name: ${f}\n        value: ${JSON.stringify(v)}\n        justification: ${name} ${f} is needed for the model.\n`).join('')}`)
    .join('\n');
  text = text.replace(/\ndatasets:\n[\s\S]*$/, `\ndatasets:\n${yaml}`);
  if (options.mode === 'delta') text = text.replace('\nmode: full\n', '\nmode: delta\n');
  if (options.care === 'direct') text = text.replace('care_type: indirect', 'care_type: direct');
  return text;
}

export function resolved(datasets: Parameters<typeof withDatasets>[0], options: Parameters<typeof withDatasets>[1] = {}) {
  return compileText(withDatasets(datasets, options));
}
