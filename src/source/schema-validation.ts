import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { resources } from '../resources.js';
import { defineCodes } from '../diagnostics/define-codes.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { closestMatch, listOr } from '../diagnostics/suggest.js';
import { hiddenCharacters, lookAlikeSkeleton, showHidden } from './hidden-characters.js';
import type { Span } from './source-file.js';
import { spanAtPath, type YamlPath, type YamlSource } from './yaml-source.js';

export const schemaCodes = defineCodes({
  'schema-unknown-key': {
    severity: 'error',
    stage: 'schema',
    message: (p: { key: string; where: string; suggestion?: string }) =>
      `unknown key \`${p.key}\`${p.where ? ` in ${p.where}` : ''}${p.suggestion ? `; did you mean \`${p.suggestion}\`?` : ''}`,
  },
  'schema-look-alike-key': {
    severity: 'error',
    stage: 'schema',
    message: (p: { key: string; intended: string; why: string; where: string }) =>
      `the key \`${p.key}\`${p.where ? ` in ${p.where}` : ''} looks like \`${p.intended}\` but is not: ${p.why}`,
  },
  'schema-missing-key': {
    severity: 'error',
    stage: 'schema',
    message: (p: { key: string; where: string }) => `${p.where || 'the document'} is missing ${p.key}`,
  },
  'schema-invalid-value': {
    severity: 'error',
    stage: 'schema',
    message: (p: { where: string; expected: string; suggestion?: string }) =>
      `${p.where} must be ${p.expected}${p.suggestion ? `; did you mean ${p.suggestion}?` : ''}`,
  },
});

/** Extra schema keywords exdef understands (JSON Schema tools ignore them). */
export const EXTRA_KEYWORDS = ['x-pattern-message', 'x-order', 'x-refused', 'x-type-hint'];

/** The options every exdef schema is compiled with, at build time and at run time alike. */
export const AJV_OPTIONS = { allErrors: true, strict: true, allowUnionTypes: true, verbose: true, code: { source: true } } as const;

const require = createRequire(import.meta.url);

/** A fresh Ajv instance. Ajv is loaded only when a schema must be compiled (not for `lint`). */
export function createAjv(): Ajv {
  const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
  const ajv = new AjvClass(AJV_OPTIONS);
  ajv.addVocabulary(EXTRA_KEYWORDS);
  return ajv;
}

let ajv: Ajv | undefined;
const compiled = new Map<object, ValidateFunction>();

/** The digest a precompiled validator records of the schema it was generated from. */
export function schemaDigest(schema: object): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex');
}

/** Where the build puts the standalone validator of a schema (by the schema's file name). */
export function precompiledValidatorPath(schema: { $id?: string }): string | undefined {
  const name = schema.$id?.split('/').pop()?.replace(/\.json$/, '');
  return name ? join(resources.compiledAssets, 'validators', `${name}.cjs`) : undefined;
}

/**
 * The validator of a schema, once per process: the standalone code generated at build time when
 * it was generated from this very schema (the digest matches), otherwise compiled now.
 */
export function validatorFor(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (validate) return validate;
  const path = precompiledValidatorPath(schema as { $id?: string });
  if (path && existsSync(path)) {
    const module = require(path) as { default: ValidateFunction; schemaDigest: string };
    if (module.schemaDigest === schemaDigest(schema)) validate = module.default;
  }
  if (!validate) {
    ajv ??= createAjv();
    validate = ajv.compile(schema);
  }
  compiled.set(schema, validate);
  return validate;
}

/** Where a part of a validated document is written (key or value). */
export type Locate = (path: YamlPath, prefer?: 'value' | 'key') => Span;

/**
 * A value the schema leaves out on purpose, with the reason (`x-refused`): reported by whoever
 * owns the rule behind it (the policy's supported-use-case rule), or as a schema error with the
 * reason as a hint.
 */
export type RefusedValueReporter = (path: YamlPath, value: string, reason: string, span: Span) => Diagnostic | undefined;

/** Validates a parsed YAML source against a schema; every problem is a diagnostic at its node. */
export function validateYamlAgainstSchema(source: YamlSource, schema: object): Diagnostic[] {
  return validateAgainstSchema(source.value, schema, (path, prefer) => spanAtPath(source, path, prefer));
}

/** How a place in the document is named in messages (`use_case` in YAML, `USE CASE` in exdef). */
export type NamePath = (path: YamlPath) => string;

const yamlNames: NamePath = (path) => (path.length === 0 ? '' : `\`${dotted(path)}\``);

/** Validates a document (from either syntax) against a schema, locating problems with `locate`. */
export function validateAgainstSchema(value: unknown, schema: object, locate: Locate, refused?: RefusedValueReporter, name: NamePath = yamlNames): Diagnostic[] {
  const validate = validatorFor(schema);
  if (validate(value)) return [];
  return schemaErrorsToDiagnostics(locate, validate.errors ?? [], refused, name);
}

export function schemaErrorsToDiagnostics(locate: Locate, errors: readonly ErrorObject[], refused?: RefusedValueReporter, name: NamePath = yamlNames): Diagnostic[] {
  const kept = pruneErrors(errors);
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const error of kept) {
    const diagnostic = describe(locate, error, name, refused);
    const key = `${diagnostic.span?.start.offset}:${diagnostic.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    diagnostics.push(diagnostic);
  }
  return diagnostics;
}

function pathOf(instancePath: string): YamlPath {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

export function dotted(path: YamlPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

/**
 * Ajv with allErrors reports every failing branch of a oneOf/anyOf and the union keyword itself.
 * Keep the errors that say something precise: drop union wrappers when deeper errors exist, and
 * drop `if` (its `then` error carries the message).
 */
function pruneErrors(errors: readonly ErrorObject[]): ErrorObject[] {
  const withoutIf = errors.filter((e) => e.keyword !== 'if');
  return withoutIf.filter((e) => {
    if (e.keyword !== 'oneOf' && e.keyword !== 'anyOf') return true;
    return !withoutIf.some((other) => other !== e && other.keyword !== 'oneOf' && other.keyword !== 'anyOf' && other.instancePath.startsWith(e.instancePath));
  }).filter((e, _i, all) => {
    // Among the branches of a union, type mismatches of a branch that was not meant are noise
    // when another error at the same place is more specific.
    if (e.keyword !== 'type') return true;
    return !all.some((other) => other !== e && other.instancePath === e.instancePath && other.keyword !== 'type');
  });
}

function describe(locate: Locate, error: ErrorObject, name: NamePath, refused?: RefusedValueReporter): Diagnostic {
  const path = pathOf(error.instancePath);
  const where = name(path) || 'the document';
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params['additionalProperty']);
      const allowed = Object.keys((error.parentSchema as { properties?: object })?.properties ?? {});
      const intended = allowed.find((a) => keyFolded(a) === keyFolded(key));
      if (intended !== undefined) {
        return schemaCodes.make('schema-look-alike-key', { key: showHidden(key), intended, why: lookAlikeReason(key, intended), where: name(path) }, locate([...path, key], 'key'), [
          `write the key as \`${intended}\` (retype it: copying can carry hidden or look-alike characters)`,
        ]);
      }
      const suggestion = closestMatch(showHidden(key), allowed);
      return schemaCodes.make(
        'schema-unknown-key',
        suggestion ? { key: showHidden(key), where: name(path), suggestion } : { key: showHidden(key), where: name(path) },
        locate([...path, key], 'key'),
        allowed.length > 0 && !suggestion ? [`allowed keys here: ${allowed.join(', ')}`] : undefined,
      );
    }
    case 'required': {
      const key = String(params['missingProperty']);
      return schemaCodes.make('schema-missing-key', { key: name([...path, key]), where: name(path) }, locate(path, 'key'));
    }
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]).map(String);
      const refusedReasons = (error.parentSchema as Record<string, unknown> | undefined)?.['x-refused'] as Record<string, string> | undefined;
      const reason = typeof error.data === 'string' ? refusedReasons?.[error.data] : undefined;
      if (reason !== undefined && typeof error.data === 'string') {
        const span = locate(path);
        const reported = refused?.(path, error.data, reason, span);
        if (reported) return reported;
        return schemaCodes.make('schema-invalid-value', { where, expected: `one of ${listOr(allowed)}` }, span, [reason]);
      }
      const suggestion = typeof error.data === 'string' ? closestMatch(error.data, allowed) : undefined;
      return schemaCodes.make(
        'schema-invalid-value',
        { where, expected: `one of ${listOr(allowed)}`, ...(suggestion ? { suggestion } : {}) },
        locate(path),
      );
    }
    case 'const':
      return schemaCodes.make('schema-invalid-value', { where, expected: `\`${String(params['allowedValue'])}\`` }, locate(path));
    case 'type': {
      const expected = String(params['type']).split(',');
      // A shape that changed (an exemption's legal basis was once text) says what to write now.
      const hint = (error.parentSchema as Record<string, unknown> | undefined)?.['x-type-hint'];
      return schemaCodes.make(
        'schema-invalid-value',
        { where, expected: `${listOr(expected.map(article))} (found ${describeValue(error.data)})` },
        locate(path),
        typeof hint === 'string' ? [hint] : undefined,
      );
    }
    case 'pattern': {
      const custom = (error.parentSchema as Record<string, unknown> | undefined)?.['x-pattern-message'];
      const expected = typeof custom === 'string' ? custom : `text matching ${String(params['pattern'])}`;
      return schemaCodes.make('schema-invalid-value', { where, expected }, locate(path));
    }
    case 'format':
      return schemaCodes.make(
        'schema-invalid-value',
        { where, expected: params['format'] === 'date' ? 'a date written YYYY-MM-DD' : `a valid ${String(params['format'])}` },
        locate(path),
      );
    case 'minLength':
      return schemaCodes.make(
        'schema-invalid-value',
        { where, expected: params['limit'] === 1 ? 'non-empty text' : `at least ${String(params['limit'])} characters long` },
        locate(path),
      );
    case 'maxLength':
      return schemaCodes.make('schema-invalid-value', { where, expected: `at most ${String(params['limit'])} characters long` }, locate(path));
    case 'minItems':
      return schemaCodes.make(
        'schema-invalid-value',
        { where, expected: `a list of at least ${String(params['limit'])} item${params['limit'] === 1 ? '' : 's'}` },
        locate(path),
      );
    case 'maxItems':
      return schemaCodes.make('schema-invalid-value', { where, expected: `a list of at most ${String(params['limit'])} items` }, locate(path));
    case 'uniqueItems':
      return schemaCodes.make(
        'schema-invalid-value',
        { where, expected: `a list without repeats (items ${String(params['j'])} and ${String(params['i'])} are the same)` },
        locate(path),
      );
    case 'minimum':
    case 'exclusiveMinimum':
      return schemaCodes.make('schema-invalid-value', { where, expected: `${error.keyword === 'minimum' ? 'at least' : 'greater than'} ${String(params['limit'])}` }, locate(path));
    case 'maximum':
    case 'exclusiveMaximum':
      return schemaCodes.make('schema-invalid-value', { where, expected: `${error.keyword === 'maximum' ? 'at most' : 'less than'} ${String(params['limit'])}` }, locate(path));
    case 'propertyNames':
      return schemaCodes.make('schema-invalid-value', { where, expected: 'a map whose keys are valid names' }, locate(path));
    case 'minProperties':
      return schemaCodes.make('schema-invalid-value', { where, expected: `a map with at least ${String(params['limit'])} entr${params['limit'] === 1 ? 'y' : 'ies'}` }, locate(path));
    case 'oneOf':
    case 'anyOf': {
      const options = ((error.parentSchema as { [k: string]: unknown })?.[error.keyword] as { title?: string; type?: string }[] | undefined) ?? [];
      const names = options.map((o) => o.title ?? o.type ?? 'an allowed form').filter(Boolean);
      return schemaCodes.make('schema-invalid-value', { where, expected: names.length > 0 ? listOr(names.map(article)) : 'one of the allowed forms' }, locate(path));
    }
    default:
      return schemaCodes.make('schema-invalid-value', { where, expected: `valid (${error.message ?? error.keyword})` }, locate(path));
  }
}

/** A key as a reader sees it, case aside: two keys that fold alike look the same on screen. */
function keyFolded(key: string): string {
  return lookAlikeSkeleton(key).toLowerCase();
}

/** Why a key that looks like `intended` is another key. */
function lookAlikeReason(key: string, intended: string): string {
  const hidden = hiddenCharacters(key);
  const invisible = hidden.find((h) => h.kind !== 'look-alike');
  if (invisible) return `it has a ${invisible.name} in it`;
  if (key.trim() !== key) return 'it has a space before or after it';
  const lookAlike = hidden.find((h) => h.kind === 'look-alike');
  if (lookAlike) return `it has a ${lookAlike.name}`;
  if (key.normalize('NFKC') !== key) return 'it is written with full-width or other compatibility characters';
  if (/\s/.test(key) && !/\s/.test(intended)) return 'it has a space in it';
  if (key.toLowerCase() === intended.toLowerCase()) return 'keys are case-sensitive';
  return 'it is written with other characters';
}

function article(type: string): string {
  switch (type) {
    case 'integer':
      return 'an integer';
    case 'object':
      return 'a map';
    case 'array':
      return 'a list';
    case 'null':
      return 'empty';
    default:
      return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
  }
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}
