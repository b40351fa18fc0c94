import type { RawBuilder } from 'kysely';
import { findColumn, findTable, type Catalogue, type CatalogueTable } from '../catalogue/catalogue.js';
import type { RelationStep } from '../ir/expression.js';
import type { ExtractDefinition } from '../ir/extract-definition.js';
import type { SensitiveCodeSet } from '../policy/policy.js';
import { CompileError } from './compile-error.js';
import type { ParameterSet } from './parameters.js';

/** The terminology tables code sets are evaluated in (named by the catalogue). */
export interface TerminologyTables {
  closure: CatalogueTable;
  refsetMember: CatalogueTable;
}

/**
 * Everything building one query needs. `params` is shared by all queries of a definition (one
 * plan, one parameter list); aliases are per query.
 */
export interface SqlContext {
  catalogue: Catalogue;
  definition: ExtractDefinition;
  params: ParameterSet;
  /**
   * The policy's sensitive sets: excluded from every coded column at any depth, except where a
   * valid exemption releases one (`releases`).
   */
  guardedSets: readonly SensitiveCodeSet[];
  /**
   * The policy's sensitive_terms by set (normalised: lower case, words of a-z and 0-9 one space
   * apart): rows whose uncoded text naming a service (a catalogue column marked sensitive_terms)
   * holds one are excluded at any depth, except where a valid exemption releases the set.
   */
  sensitiveTerms: ReadonlyMap<string, readonly string[]>;
  /**
   * By dataset, the coded columns of the dataset's own table on which valid exemptions release
   * sets (column -> set names): nowhere else, not in its joins or exists() bodies.
   */
  releases: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
  /** The CTEs of narrower lists of sets that releases call for, by their sorted set names. */
  codeSetCtes: ReadonlyMap<string, { name: string; sets: readonly SensitiveCodeSet[] }>;
  /**
   * Inside the population's own filter: the patient being tested. Scans there read rows of that
   * patient or of eligible patients; elsewhere, of the population's members.
   */
  membership?: { tested: RawBuilder<any> };
  terminology: TerminologyTables;
  /** Makes the aliases of one query: t, p, j1, j2, e1, ... */
  alias(prefix: string): string;
  /** In delta mode, the relation paths (from the dataset's table) whose changes touch a row. */
  dependencies?: Map<string, RelationStep[]>;
  /** Parts every query of the definition shares, built once (query trees are immutable). */
  shared: { population?: unknown; sensitiveCodes?: unknown };
}

export function aliasMaker(): (prefix: string) => string {
  const counts = new Map<string, number>();
  return (prefix) => {
    const n = (counts.get(prefix) ?? 0) + 1;
    counts.set(prefix, n);
    return `${prefix}${n}`;
  };
}

const CLOSURE_COLUMNS = ['ancestor_id', 'descendant_id'];
const REFSET_COLUMNS = ['refset_id', 'referenced_component_id', 'active'];

/** The closure and refset tables; a catalogue without them cannot evaluate code sets. */
export function terminologyTables(catalogue: Catalogue): TerminologyTables {
  const need = (name: string, columns: string[]): CatalogueTable => {
    const table = findTable(catalogue, name);
    const missing = table ? columns.filter((c) => !findColumn(table, c)) : columns;
    if (!table || missing.length > 0) {
      throw new CompileError(
        `the catalogue ${catalogue.name} has no usable \`${name}\` table (${columns.join(', ')}): sensitive codes and code sets are evaluated in it`,
        ['add the terminology tables of the reference catalogue (terminology.closure, terminology.refset_member) to the catalogue'],
      );
    }
    return table;
  };
  return { closure: need('closure', CLOSURE_COLUMNS), refsetMember: need('refset_member', REFSET_COLUMNS) };
}
