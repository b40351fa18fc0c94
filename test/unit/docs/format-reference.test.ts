import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FORMAT_REFERENCE, formatReference } from '../../../src/docs/format-reference.js';
import { resources } from '../../../src/resources.js';

describe('docs/format.md', () => {
  it('is generated from the JSON Schema and up to date (npm run generate)', () => {
    expect(readFileSync(FORMAT_REFERENCE, 'utf8')).toBe(formatReference());
  });

  it('documents every property of the schema, nested ones and list items included', () => {
    const schema = JSON.parse(readFileSync(resources.definitionSchema, 'utf8'));
    const page = formatReference(schema);
    const paths: string[] = [];
    const walk = (node: any, path: string): void => {
      if (node.$ref) node = schema.definitions[node.$ref.replace('#/definitions/', '')];
      for (const alternative of node.oneOf ?? []) walk(alternative, path);
      for (const [name, child] of Object.entries<any>(node.properties ?? {})) {
        const p = path === '' ? name : `${path}.${name}`;
        paths.push(p);
        walk(child, p);
      }
      if (node.items) walk(node.items, `${path}[]`);
    };
    walk(schema, '');
    expect(paths.length).toBeGreaterThan(50);
    for (const p of paths) expect(page, p).toContain(`\`${p}\``);
  });

  it('changes when the schema changes (the drift check can fail)', () => {
    const schema = JSON.parse(readFileSync(resources.definitionSchema, 'utf8'));
    schema.properties.mode.enum.push('snapshot');
    expect(formatReference(schema)).not.toBe(formatReference());
    expect(formatReference(schema)).toContain('`snapshot`');
  });
});
