import type { SelectQueryBuilder } from 'kysely';
import type { Catalogue } from '../catalogue/catalogue.js';
import type { ExtractDefinition } from '../ir/extract-definition.js';
import { definitionDigest, fingerprint } from '../ir/fingerprint.js';
import { exemptionProblems } from '../policy/exemptions.js';
import type { Policy } from '../policy/policy.js';
import { parameterNames } from './compiler-db.js';
import type { CompiledLinkedDisclosure } from '../disclosure/disclosure-checks.js';
import { kAnonymityQuery, linkedKAnonymityQuery } from '../disclosure/k-anonymity-query.js';
import { linkedGroups, measuredMembers } from '../disclosure/linked-datasets.js';
import { identification, quasiIdentifierFields } from '../disclosure/quasi-identifiers.js';
import { tableOf } from '../catalogue/catalogue.js';
import { deltaQuery, fullQuery, outputColumns, type OutputColumn } from './dataset-query.js';
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
  /** Rows changed in the window, as upserts and deletions (delta definitions only). */
  delta?: CompiledQuery;
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
    /** The sensitive sets excluded from every coded column. */
    sensitiveSets: string[];
    /** Sets a valid exemption lets through. */
    exemptedSets: string[];
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
 * The context queries are built in and the guards every query must carry: the sensitive sets
 * are the policy's, minus those a valid exemption names.
 */
export function compilerContext(definition: ExtractDefinition, options: CompileOptions): { ctx: SqlContext; expectations: GuardExpectations; exemptedSets: string[] } {
  const exemptedSets = definition.exemptions
    .filter((e) => e.rule === 'sensitive-codes' && e.codeSet !== undefined && exemptionProblems(e, options.policy, options.today).length === 0)
    .map((e) => e.codeSet!);
  const guardedSets = options.policy.sensitiveCodeSets.filter((s) => !exemptedSets.includes(s.name));
  const ctx: SqlContext = {
    catalogue: options.catalogue,
    definition,
    params: new ParameterSet(),
    guardedSets,
    terminology: terminologyTables(options.catalogue),
    alias: aliasMaker(),
    shared: {},
  };
  const expectations: GuardExpectations = {
    catalogue: options.catalogue,
    sensitiveSets: guardedSets.map((s) => s.name).sort(),
    population: {
      permanentOnly: definition.population.registration === 'permanent',
      excludeDeceased: definition.population.deceased === 'exclude',
      optOuts: optOutsApplied(ctx),
    },
  };
  return { ctx, expectations, exemptedSets };
}

/**
 * Compiles a resolved definition (which lint has passed) into parameterised PostgreSQL: the
 * population, and per dataset a full query and, in delta mode, a delta query, each verified to
 * carry every guard the policy requires before it is compiled to text.
 */
export function compileExtract(definition: ExtractDefinition, options: CompileOptions): CompiledPlan {
  const { ctx, expectations, exemptedSets } = compilerContext(definition, options);
  const params = ctx.params;
  const applied = expectations.population.optOuts;
  const compile = (query: SelectQueryBuilder<any, any, any>, what: string): CompiledQuery => {
    const node = query.toOperationNode();
    verifyGuards(node, expectations, what);
    const compiled = query.compile();
    return { sql: compiled.sql, parameters: parameterNames(compiled) };
  };

  const population = compile(populationStateQuery({ ...ctx, alias: aliasMaker() }), 'the population');
  const datasets: CompiledDataset[] = definition.datasets.map((dataset) => {
    const compiled: CompiledDataset = {
      name: dataset.name,
      table: dataset.table,
      columns: outputColumns(ctx, dataset),
      full: compile(fullQuery(ctx, dataset), `dataset ${dataset.name}`),
      disclosure: { identification: identification(options.catalogue, dataset), quasiIdentifiers: quasiIdentifierFields(options.catalogue, dataset).map((f) => f.name) },
    };
    const k = kAnonymityQuery(ctx, dataset);
    if (k) compiled.disclosure.kAnonymity = compile(k, `dataset ${dataset.name} (k-anonymity)`);
    if (dataset.description !== undefined) compiled.description = dataset.description;
    if (definition.mode === 'delta') compiled.delta = compile(deltaQuery(ctx, dataset), `dataset ${dataset.name} (delta)`);
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
        quasiIdentifiers: members.flatMap((d) => quasiIdentifierFields(options.catalogue, d).map((f) => `${d.name}.${f.name}`)),
        kAnonymity: compile(linkedKAnonymityQuery(ctx, members), `linked datasets ${names.join(' + ')} (k-anonymity)`),
      },
    ];
  });
  const parameters = params.list();
  return {
    plan: 1,
    definition: {
      id: definition.id,
      version: definition.version,
      title: definition.title,
      file: definition.source.file,
      fingerprint: fingerprint(definition),
      digest: definitionDigest(definition),
      mode: definition.mode,
      layout: definition.output.layout,
    },
    catalogue: options.catalogue.name,
    policy: options.policy.name,
    guards: {
      sensitiveSets: expectations.sensitiveSets,
      exemptedSets: [...new Set(exemptedSets)].sort(),
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
