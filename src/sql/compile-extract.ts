import { createQueryId, type RootOperationNode, type SelectQueryBuilder } from 'kysely';
import { codedColumns, termColumns, tableOf, type Catalogue } from '../catalogue/catalogue.js';
import type { Dataset, ExtractDefinition } from '../ir/extract-definition.js';
import { fingerprintAndDigest } from '../ir/fingerprint.js';
import { releasedSensitiveSets, type ReleasedSet } from '../policy/exemptions.js';
import type { Policy, SensitiveCodeSet } from '../policy/policy.js';
import { compilerKysely, parameterNames } from './compiler-db.js';
import { codeSetKey, SENSITIVE_CODES } from './guards.js';
import type { CompiledLinkedDisclosure } from '../disclosure/disclosure-checks.js';
import { kAnonymityQuery, linkedKAnonymityQuery, sharedFieldKAnonymityQuery } from '../disclosure/k-anonymity-query.js';
import { linkedGroups, measuredMembers, sharedFieldPairs } from '../disclosure/linked-datasets.js';
import { identification, measuredQuasiIdentifierFields } from '../disclosure/quasi-identifiers.js';
import { fullQuery, outputColumns, type OutputColumn } from './dataset-query.js';
import { ParameterSet, type ParameterSpec } from './parameters.js';
import { optOutsApplied, populationStateQuery } from './population.js';
import { aliasMaker, terminologyTables, type SqlContext } from './sql-context.js';
import { verifyGuards, type GuardExpectations } from './verify-guards.js';

export interface CompileOptions {
  catalogue: Catalogue;
  policy: Policy;
  /** YYYY-MM-DD: the day exemptions are judged valid on (their expiry). */
  today: string;
}

/** One query: its SQL text and, for each `$n`, the name of the parameter bound to it. */
export interface CompiledQuery {
  sql: string;
  parameters: string[];
}

export interface CompiledDataset {
  name: string;
  table: string;
  description?: string;
  columns: OutputColumn[];
  /** Every qualifying row (a full extract, or the first run and every new baseline of a delta definition). */
  full: CompiledQuery;
  /** How the dataset presents people, and its k-anonymity query (columns k, groups) when it has quasi-identifiers. */
  disclosure: {
    identification: 'identified' | 'pseudonymised' | 'de-identified';
    quasiIdentifiers: string[];
    kAnonymity?: CompiledQuery;
  };
}

/** The compiled plan: plain data, written as plan.json, read by the executor and the report. */
export interface CompiledPlan {
  plan: 1;
  definition: {
    id: string;
    version: number;
    title: string;
    file: string;
    /**
     * sha256 of the canonical meaning of the data (src/ir/fingerprint.ts): formatting, comments
     * and key order do not change it; when it changes the next delta run is a full extract.
     */
    fingerprint: string;
    /** sha256 of the whole canonical definition, governance and justifications included. */
    digest: string;
    mode: 'full' | 'delta';
    layout: 'single_zip' | 'per_practice';
  };
  catalogue: string;
  policy: string;
  guards: {
    /**
     * The policy's sensitive sets: excluded from every coded column of every table at any depth
     * (the population's filter, joins, exists() bodies), except where a release below applies.
     */
    sensitiveSets: string[];
    /** Sets a valid exemption lets through somewhere (see released for where). */
    exemptedSets: string[];
    /**
     * Where each valid exemption lets its set through: in the named datasets only, on the coded
     * columns (by dataset) of the dataset's own table that it covers; never in the population,
     * another dataset, a join or an exists() body.
     */
    released: { set: string; datasets: string[]; columns: Record<string, string[]> }[];
    population: {
      registration: 'permanent' | 'all';
      deceased: 'exclude' | 'include';
      type1OptOut: boolean;
      nationalDataOptOut: boolean;
      /** Whether a patient back from an opt-out gets their history in a delta run. */
      onOptBackIn: 'backfill' | 'no_backfill';
    };
  };
  parameters: ParameterSpec[];
  /** The pseudonym keys the run needs (values are never part of a plan). */
  keys: string[];
  /** Who is in the population, with their practice and opt-out: counts and delta state. */
  population: CompiledQuery;
  datasets: CompiledDataset[];
  /** Datasets linked by a linkage key, measured as one table (src/disclosure/linked-datasets.ts). */
  linkedDisclosure: CompiledLinkedDisclosure[];
}

/**
 * The context queries are built in and the guards every query must carry: every sensitive set of
 * the policy on every coded column, but where a valid exemption releases a set (releases).
 */
export function compilerContext(definition: ExtractDefinition, options: CompileOptions): { ctx: SqlContext; expectations: GuardExpectations; released: ReleasedSet[] } {
  const released = releasedSensitiveSets(definition, options.policy, options.today);
  const guardedSets = options.policy.sensitiveCodeSets;
  const releases = releasesByDataset(options.catalogue, definition, released);
  const codeSetCtes = new Map<string, { name: string; sets: SensitiveCodeSet[] }>();
  for (const columns of releases.values()) {
    for (const free of columns.values()) {
      const sets = guardedSets.filter((s) => !free.includes(s.name));
      const key = codeSetKey(sets);
      if (sets.length > 0 && sets.length < guardedSets.length && !codeSetCtes.has(key)) codeSetCtes.set(key, { name: `${SENSITIVE_CODES}_${codeSetCtes.size + 1}`, sets });
    }
  }
  const ctx: SqlContext = {
    catalogue: options.catalogue,
    definition,
    params: new ParameterSet(),
    guardedSets,
    sensitiveTerms: guardedTerms(options.policy.sensitiveTerms),
    releases,
    codeSetCtes,
    terminology: terminologyTables(options.catalogue),
    alias: aliasMaker(),
    shared: {},
  };
  const expectations: GuardExpectations = {
    catalogue: options.catalogue,
    sensitiveSets: guardedSets.map((s) => s.name).sort(),
    termSets: [...ctx.sensitiveTerms.keys()].sort(),
    released: new Map(),
    population: {
      permanentOnly: definition.population.registration === 'permanent',
      excludeDeceased: definition.population.deceased === 'exclude',
      optOuts: optOutsApplied(ctx),
    },
  };
  return { ctx, expectations, released };
}

/**
 * The policy's sensitive terms by set, as the guard compares them: lower case, every run of
 * characters other than a-z and 0-9 one space (the text it tests is normalised the same way).
 */
export function guardedTerms(terms: Readonly<Record<string, readonly string[]>>): Map<string, string[]> {
  const bySet = new Map<string, string[]>();
  for (const [set, list] of Object.entries(terms)) {
    const normalised = [...new Set(list.map((t) => t.normalize('NFKD').toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim()).filter((t) => t !== ''))].sort();
    if (normalised.length > 0) bySet.set(set, normalised);
  }
  return bySet;
}

/**
 * Where each release applies: in the datasets it names, on the coded columns of the dataset's own
 * table (those the named fields read, when it names fields). Joins, exists() bodies, other
 * datasets and the population keep every set excluded.
 */
export function releasesByDataset(catalogue: Catalogue, definition: ExtractDefinition, released: readonly ReleasedSet[]): Map<string, Map<string, string[]>> {
  const byDataset = new Map<string, Map<string, string[]>>();
  for (const dataset of definition.datasets) {
    // A release frees its set on the coded columns, and on the uncoded text naming services, of the dataset's own table.
    const table = tableOf(catalogue, dataset.table);
    const coded = [...codedColumns(table), ...termColumns(table)].map((c) => c.name);
    const columns = new Map<string, string[]>();
    for (const release of released) {
      if (!release.datasets.includes(dataset.name)) continue;
      let on = coded;
      if (release.fields !== undefined) {
        const named = dataset.fields.filter((f) => release.fields!.includes(f.name) || release.fields!.includes(`${dataset.name}.${f.name}`));
        on = coded.filter((c) => named.some((f) => f.sources.some((s) => s.path.length === 0 && s.column === c)));
      }
      for (const c of on) columns.set(c, [...(columns.get(c) ?? []), release.set].sort());
    }
    if (columns.size > 0) byDataset.set(dataset.name, columns);
  }
  return byDataset;
}

/**
 * What a linked k-anonymity query must carry: it reads the dataset selects of its members, each
 * with its own releases, so the releases expected on a dataset's own table are those of any member
 * (every other scan keeps every set).
 */
function linkedExpectations(expectations: GuardExpectations, ctx: SqlContext, datasets: readonly string[]): GuardExpectations {
  const released = new Map<string, string[]>();
  for (const name of datasets) {
    for (const [column, sets] of ctx.releases.get(name) ?? new Map<string, string[]>()) {
      released.set(column, [...new Set([...(released.get(column) ?? []), ...sets])].sort());
    }
  }
  return { ...expectations, released };
}

/**
 * Verifies a query tree and compiles that very tree to text: what is checked is what is emitted.
 */
export function compileVerified(node: RootOperationNode, expectations: GuardExpectations, what: string): CompiledQuery {
  verifyGuards(node, expectations, what);
  const compiled = compilerKysely().getExecutor().compileQuery(node, createQueryId());
  return { sql: compiled.sql, parameters: parameterNames(compiled) };
}

/**
 * Compiles a resolved definition (which lint has passed) into parameterised PostgreSQL: the
 * population, and per dataset its query (in a delta definition also the record id that the run
 * compares with what the recipient holds), each verified to
 * carry every guard the policy requires before it is compiled to text.
 */
export function compileExtract(definition: ExtractDefinition, options: CompileOptions): CompiledPlan {
  const { ctx, expectations, released } = compilerContext(definition, options);
  const params = ctx.params;
  const applied = expectations.population.optOuts;
  const population = compileVerified(populationStateQuery({ ...ctx, alias: aliasMaker() }).toOperationNode(), expectations, 'the population');
  const datasets: CompiledDataset[] = definition.datasets.map((dataset) => {
    // Releases apply in this dataset's own table only: the verifier expects exactly them.
    const expected: GuardExpectations = { ...expectations, released: ctx.releases.get(dataset.name) ?? new Map() };
    const compile = (query: SelectQueryBuilder<any, any, any>, what: string) => compileVerified(query.toOperationNode(), expected, what);
    const compiled: CompiledDataset = {
      name: dataset.name,
      table: dataset.table,
      columns: outputColumns(ctx, dataset),
      full: compile(fullQuery(ctx, dataset), `dataset ${dataset.name}`),
      disclosure: { identification: identification(options.catalogue, dataset), quasiIdentifiers: measuredQuasiIdentifierFields(options.catalogue, dataset).map((f) => f.name) },
    };
    const k = kAnonymityQuery(ctx, dataset);
    if (k) compiled.disclosure.kAnonymity = compile(k, `dataset ${dataset.name} (k-anonymity)`);
    if (dataset.description !== undefined) compiled.description = dataset.description;
    return compiled;
  });
  const linkedDisclosure = linkedGroups(definition, options.catalogue, { patientLinksOnly: true }).flatMap((group): CompiledLinkedDisclosure[] => {
    const members = measuredMembers(options.catalogue, group).filter((d) => tableOf(options.catalogue, d.table).patientColumn !== undefined);
    if (members.length < 2) return [];
    const names = members.map((d) => d.name);
    return [
      {
        datasets: names,
        links: group.links.map((l) => l.description),
        quasiIdentifiers: qualifiedQuasiIdentifiers(options.catalogue, members),
        kAnonymity: compileVerified(linkedKAnonymityQuery(ctx, members).toOperationNode(), linkedExpectations(expectations, ctx, names), `linked datasets ${names.join(' + ')} (k-anonymity)`),
      },
    ];
  });
  // Datasets of one table joined on the values they share (linked-datasets.ts sharedFieldPairs).
  for (const pair of sharedFieldPairs(definition, options.catalogue)) {
    const names = [pair.a.name, pair.b.name];
    linkedDisclosure.push({
      datasets: names,
      links: [`fields that read the same columns (${pair.sharedA.map((f) => f.name).join(', ')} in ${pair.a.name}; ${pair.sharedB.map((f) => f.name).join(', ')} in ${pair.b.name}): a recipient joins their rows on them`],
      quasiIdentifiers: qualifiedQuasiIdentifiers(options.catalogue, [pair.a, pair.b]),
      sharedValues: true,
      kAnonymity: compileVerified(sharedFieldKAnonymityQuery(ctx, pair.a, pair.b, pair.sharedA, pair.sharedB).toOperationNode(), linkedExpectations(expectations, ctx, names), `datasets ${names.join(' + ')} joined on their shared values (k-anonymity)`),
    });
  }
  const parameters = params.list();
  return {
    plan: 1,
    definition: {
      id: definition.id,
      version: definition.version,
      title: definition.title,
      file: definition.source.file,
      ...fingerprintAndDigest(definition),
      mode: definition.mode,
      layout: definition.output.layout,
    },
    catalogue: options.catalogue.name,
    policy: options.policy.name,
    guards: {
      sensitiveSets: expectations.sensitiveSets,
      exemptedSets: [...new Set(released.map((r) => r.set))].sort(),
      released: released.map((r) => ({
        set: r.set,
        datasets: [...r.datasets].sort(),
        columns: Object.fromEntries(
          [...ctx.releases.entries()]
            .filter(([name]) => r.datasets.includes(name))
            .map(([name, columns]) => [name, [...columns.entries()].filter(([, sets]) => sets.includes(r.set)).map(([c]) => c).sort()]),
        ),
      })),
      population: {
        registration: definition.population.registration,
        deceased: definition.population.deceased,
        type1OptOut: applied.type1,
        nationalDataOptOut: applied.nationalDataOptOut,
        onOptBackIn: definition.population.onOptBackIn,
      },
    },
    parameters,
    keys: parameters.filter((p) => p.source === 'key').map((p) => p.name.slice('key_'.length)),
    population,
    datasets,
    linkedDisclosure,
  };
}

/** The measured quasi-identifiers of datasets measured together, as `dataset.field`. */
function qualifiedQuasiIdentifiers(catalogue: Catalogue, datasets: readonly Dataset[]): string[] {
  return datasets.flatMap((d) => measuredQuasiIdentifierFields(catalogue, d).map((f) => `${d.name}.${f.name}`));
}
