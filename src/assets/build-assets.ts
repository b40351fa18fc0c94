/**
 * Run by `npm run build` after tsc: generates what the CLI loads instead of doing work at every
 * start — the standalone (precompiled) validators of exdef's JSON Schemas, and the reference
 * catalogue already parsed and checked. Both record a digest of their source; at run time a
 * mismatch means "stale" and the source is used instead, so these can never give a wrong answer.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseCatalogue, referenceCatalogue } from '../catalogue/load-catalogue.js';
import { ruleCatalogue } from '../pipeline/lint-definition.js';
import { loadPolicy } from '../policy/policy.js';
import { resources } from '../resources.js';
import { readTerminology } from '../terminology/import-terminology.js';
import { DEFAULT_POLICY_ASSET, SAMPLE_TERMINOLOGY_ASSET, sampleTerminologyDigest, sourceDigest, terminologyToJson } from './prebuilt.js';
import { buildPgliteTemplates } from '../db/pglite-template.js';
import { createAjv, precompiledValidatorPath, schemaDigest } from '../source/schema-validation.js';

export const REFERENCE_CATALOGUE_ASSET = 'reference-catalogue.json';

function buildValidator(schemaPath: string): string {
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as { $id: string };
  const ajv = createAjv();
  const validate = ajv.compile(schema);
  const standaloneCode = createRequire(import.meta.url)('ajv/dist/standalone').default as (ajv: unknown, validate: unknown) => string;
  const target = precompiledValidatorPath(schema)!;
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, `${standaloneCode(ajv, validate)}\nmodule.exports.schemaDigest = ${JSON.stringify(schemaDigest(schema))};\n`);
  return target;
}

function buildReferenceCatalogue(): string {
  const text = readFileSync(resources.referenceCatalogue, 'utf8');
  const result = parseCatalogue('reference.catalogue.yaml', text);
  if (!result.catalogue) throw new Error(`the reference catalogue does not load: ${result.diagnostics.map((d) => d.message).join('; ')}`);
  const target = join(resources.compiledAssets, REFERENCE_CATALOGUE_ASSET);
  writeFileSync(target, JSON.stringify({ sourceDigest: sourceDigest(text), catalogue: result.catalogue }));
  return target;
}

async function buildSampleTerminology(): Promise<string> {
  const { terminology, diagnostics } = await readTerminology(resources.sampleTerminology);
  if (!terminology) throw new Error(`the sample terminology does not load: ${diagnostics.map((d) => d.message).join('; ')}`);
  const target = join(resources.compiledAssets, SAMPLE_TERMINOLOGY_ASSET);
  writeFileSync(target, JSON.stringify({ sourceDigest: sampleTerminologyDigest(), terminology: terminologyToJson(terminology) }));
  return target;
}

function buildDefaultPolicy(): string {
  const { policy, diagnostics } = loadPolicy(ruleCatalogue);
  if (!policy) throw new Error(`the default policy does not load: ${diagnostics.map((d) => d.message).join('; ')}`);
  const target = join(resources.compiledAssets, DEFAULT_POLICY_ASSET);
  writeFileSync(target, JSON.stringify({ sourceDigest: sourceDigest(readFileSync(resources.defaultPolicy, 'utf8')), policy }));
  return target;
}

export async function buildAssets(): Promise<string[]> {
  mkdirSync(resources.compiledAssets, { recursive: true });
  const validators = [buildValidator(resources.catalogueSchema), buildValidator(resources.definitionSchema), buildValidator(resources.policySchema), buildValidator(resources.definitionTestSchema)];
  return [...validators, buildReferenceCatalogue(), buildDefaultPolicy(), await buildSampleTerminology(), ...(await buildPgliteTemplates(referenceCatalogue()))];
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  for (const file of await buildAssets()) console.log(`wrote ${file}`);
}
