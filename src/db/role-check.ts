import type { Catalogue } from '../catalogue/catalogue.js';
import { STATE_SCHEMA } from '../execute/extract-state.js';
import type { Database } from './database.js';
import type { SensitiveCodeSet } from '../policy/policy.js';
import { missingSources, sensitiveSetSources, sourceSizes } from '../sql/terminology-coverage.js';

/** One thing the extract role needs, as `exdef db check` reports it. */
export interface RoleCheck {
  /** What is needed, in words. */
  need: string;
  ok: boolean;
  /** What was found. */
  found: string;
  /** The statement an administrator runs to give it, when missing. */
  fix?: string;
}

/**
 * What the database role of `db` needs to run extracts, checked before go-live (`exdef db check`)
 * rather than found in the middle of a night's run:
 * - SELECT on every table of the catalogue (USAGE on their schemas);
 * - the executor's state schema: there and writable, or CREATE on the database to make it;
 * - TEMPORARY on the database (each run session binds its values through a temporary table, so
 *   that no key is ever a bind parameter a server log could show);
 * - PostgreSQL 14 or later, whose client_connection_check_interval ends a killed run's queries.
 * Seeing other sessions' transactions (pg_read_all_stats) is not needed: a delta is a comparison of
 * every row with what the recipient holds, so a row committed after a run's snapshot is simply in
 * the next run's comparison (docs/production.md, "Late writers").
 */
export async function roleChecks(db: Database, catalogue: Catalogue, sensitiveSets: readonly SensitiveCodeSet[] = []): Promise<{ role: string; server: string; checks: RoleCheck[] }> {
  if (db.engine === 'pglite') {
    const { missing } = await catalogueTableAccess(db, catalogue);
    return {
      role: 'postgres',
      server: 'PGlite (embedded)',
      checks: [
        { need: 'the embedded database: one process, every privilege', ok: true, found: 'PGlite' },
        tablesCheck(catalogue, missing),
        ...(await terminologyChecks(db, catalogue, sensitiveSets, missing)),
      ],
    };
  }
  const [who] = await db.query<{ role: string; database: string; version: string; version_num: string; temp: boolean; create: boolean }>(
    `SELECT current_user AS role, current_database() AS database, current_setting('server_version') AS version,
            current_setting('server_version_num') AS version_num,
            has_database_privilege(current_database(), 'TEMPORARY') AS temp,
            has_database_privilege(current_database(), 'CREATE') AS "create"`,
  );
  const role = who!.role;
  const checks: RoleCheck[] = [];
  const quoted = `"${role.replace(/"/g, '""')}"`;

  // The catalogue's tables.
  const { present, missing, unreadable } = await catalogueTableAccess(db, catalogue);
  checks.push(tablesCheck(catalogue, missing));
  checks.push({
    need: 'SELECT on every table of the catalogue',
    ok: unreadable.length === 0,
    found: unreadable.length === 0 ? `granted on ${present}` : `not readable: ${unreadable.join(', ')}`,
    ...(unreadable.length > 0 ? { fix: grantSelect(unreadable, role) } : {}),
  });

  // The state schema.
  const [state] = await db.query<{ present: boolean; usable: boolean }>(
    `SELECT to_regnamespace($1) IS NOT NULL AS present,
            to_regnamespace($1) IS NOT NULL AND has_schema_privilege($1, 'USAGE') AND has_schema_privilege($1, 'CREATE') AS usable`,
    [STATE_SCHEMA],
  );
  const stateOk = state!.present ? state!.usable : who!.create;
  checks.push({
    need: `the state schema ${STATE_SCHEMA}: there and writable, or CREATE on the database to make it`,
    ok: stateOk,
    found: state!.present ? (state!.usable ? 'present and writable' : 'present but not writable by this role') : who!.create ? 'not yet made; the first run makes it' : 'absent, and the role may not create it',
    ...(stateOk ? {} : { fix: state!.present ? `ALTER SCHEMA ${STATE_SCHEMA} OWNER TO ${quoted};` : `CREATE SCHEMA ${STATE_SCHEMA} AUTHORIZATION ${quoted};` }),
  });
  checks.push({
    need: 'TEMPORARY on the database (run values are bound through a temporary table, never as logged parameters)',
    ok: who!.temp,
    found: who!.temp ? 'granted' : 'not granted',
    ...(who!.temp ? {} : { fix: `GRANT TEMPORARY ON DATABASE "${who!.database.replace(/"/g, '""')}" TO ${quoted};` }),
  });
  const recent = Number(who!.version_num) >= 140000;
  checks.push({
    need: "PostgreSQL 14 or later (a killed run's queries end within seconds: client_connection_check_interval)",
    ok: recent,
    found: `PostgreSQL ${who!.version}`,
    ...(recent ? {} : { fix: 'upgrade the server; until then a killed run’s queries run on to the statement timeout (--statement-timeout)' }),
  });
  checks.push(...(await terminologyChecks(db, catalogue, sensitiveSets, missing)));
  return { role, server: `PostgreSQL ${who!.version}`, checks };
}

function tablesCheck(catalogue: Catalogue, missing: readonly string[]): RoleCheck {
  return {
    need: `the catalogue's ${catalogue.tables.length} tables exist`,
    ok: missing.length === 0,
    found: missing.length === 0 ? 'all present' : `missing: ${missing.join(', ')}`,
    ...(missing.length > 0 ? { fix: 'exdef db init (with the catalogue that describes this database)' } : {}),
  };
}

/**
 * The terminology holds what the policy's sensitive sets are built from (a run refuses otherwise:
 * a set with no members would let its rows through). Not checked when its tables are missing.
 */
async function terminologyChecks(db: Database, catalogue: Catalogue, sets: readonly SensitiveCodeSet[], missingTables: readonly string[]): Promise<RoleCheck[]> {
  if (sets.length === 0 || missingTables.some((t) => /\.(closure|refset_member)$/.test(t))) return [];
  const sources = sensitiveSetSources(sets);
  const missing = missingSources(sources, await sourceSizes((text, values) => db.query(text, values), catalogue, sources));
  return [
    {
      need: "the terminology holds every reference set and concept the policy's sensitive code sets are built from",
      ok: missing.length === 0,
      found: missing.length === 0 ? `all ${sources.refsets.size} reference sets and ${sources.concepts.size} concepts` : missing.join('; '),
      ...(missing.length > 0 ? { fix: 'exdef terminology import DIR (the UK Clinical Edition with its simple reference sets)' } : {}),
    },
  ];
}

/**
 * Which of the catalogue's tables are missing and which this role cannot read (looked up in
 * pg_class, which every role sees, rather than information_schema, which hides what it cannot read).
 */
export async function catalogueTableAccess(db: Database, catalogue: Catalogue): Promise<{ present: number; missing: string[]; unreadable: string[] }> {
  const rows = await db.query<{ schema: string; name: string; present: boolean; usable: boolean }>(
    `SELECT t.schema, t.name, c.oid IS NOT NULL AS present,
            c.oid IS NOT NULL AND has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT') AS usable
       FROM unnest($1::text[], $2::text[]) AS t(schema, name)
       LEFT JOIN pg_namespace n ON n.nspname = t.schema
       LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.name`,
    [catalogue.tables.map((t) => t.schema), catalogue.tables.map((t) => t.name)],
  );
  return {
    present: rows.filter((t) => t.present).length,
    missing: rows.filter((t) => !t.present).map((t) => `${t.schema}.${t.name}`),
    unreadable: rows.filter((t) => t.present && !t.usable).map((t) => `${t.schema}.${t.name}`),
  };
}

/** The GRANTs that let `role` read `tables` (schema.name). */
export function grantSelect(tables: readonly string[], role: string): string {
  const quoted = `"${role.replace(/"/g, '""')}"`;
  const schemas = [...new Set(tables.map((t) => t.split('.')[0]!))];
  return schemas.map((s) => `GRANT USAGE ON SCHEMA ${s} TO ${quoted}; GRANT SELECT ON ALL TABLES IN SCHEMA ${s} TO ${quoted};`).join(' ');
}
