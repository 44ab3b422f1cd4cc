/**
 * Catalog fixtures: installing a released catalog the way that release did,
 * and a fingerprint of every object the catalog holds, for comparing an
 * upgraded database with a fresh install.
 */
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import type { TestDatabase } from './db.ts';

const RELEASES = path.resolve(import.meta.dirname, '../fixtures/releases');
const SQL_DIR = path.resolve(import.meta.dirname, '../../sql');

/**
 * Installs pgtrickle 0.1.0's catalog as its installer did: the version table
 * without checksums, the version row first, then its one file, in one
 * transaction. The file is a frozen copy of sql/0001_catalog.sql at tag v0.1.0.
 */
export async function installRelease010(client: pg.ClientBase): Promise<void> {
  const sql = readFileSync(path.join(RELEASES, 'v0.1.0/0001_catalog.sql'), 'utf8');
  await client.query(`CREATE SCHEMA IF NOT EXISTS pgtrickle;
    CREATE TABLE IF NOT EXISTS pgtrickle.pgt_coord_schema_version (
      version int PRIMARY KEY, name text NOT NULL, installed_at timestamptz NOT NULL DEFAULT now())`);
  await client.query('BEGIN');
  await client.query(`INSERT INTO pgtrickle.pgt_coord_schema_version (version, name) VALUES (1, '0001_catalog.sql')`);
  await client.query(sql);
  await client.query('COMMIT');
}

/**
 * What pgtrickle 0.1.0's coordinator wrote when it installed a compiled plan,
 * as a function the current installPlan() calls; the upgrade replaces it with
 * this release's. Its stamp is 0.1.0's, so the upgraded coordinator recompiles.
 */
export const PLAN_INSTALL_OF_010 = `
CREATE FUNCTION pgtrickle._install_compiled_plan(pgt_id bigint, compiler_version text, full_sql text,
    differential_sql text, operator_tree text, plan jsonb) RETURNS void
LANGUAGE sql AS $$
    UPDATE pgtrickle.pgt_coord_plans
       SET plan_kind = 'COMPILED', compiler_version = 'dvm-0.1.0', full_sql = $3, differential_sql = $4, operator_tree = $5,
           plan = $6, compiled_at = now(), compile_error = NULL, compile_requested_at = NULL,
           storage_matches_plan = false
     WHERE pgt_id = $1
$$`;

/** A copy of sql/ in a temporary directory, for bundles with a changed file. */
export function copyOfSqlDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgtrickle-sql-'));
  cpSync(SQL_DIR, dir, { recursive: true });
  return dir;
}

/**
 * Every object of the pgtrickle schemas and every trigger pgtrickle put on
 * user tables, as text, with database-specific numbers (relation OIDs in
 * generated names and bodies) replaced by the relation's name.
 */
export async function catalogFingerprint(db: TestDatabase): Promise<Record<string, string[]>> {
  const relids = await db.adminQuery<{ oid: string; name: string }>(
    `SELECT c.oid::text, n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        AND n.nspname <> 'pgtrickle_changes'`,
  );
  const normalise = (text: string) =>
    relids.reduce((t, r) => t.replace(new RegExp(`(?<![0-9])${r.oid}(?![0-9])`, 'g'), `<${r.name}>`), text);
  const list = async (sql: string) => (await db.adminQuery<{ item: string }>(sql)).map((r) => normalise(r.item)).sort();
  const schemas = `('pgtrickle', 'pgtrickle_changes')`;
  return {
    functions: await list(`
      SELECT n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') ' ||
             pg_get_function_result(p.oid) || ' ' || p.provolatile::text || p.prokind::text || p.prosecdef::text ||
             COALESCE(array_to_string(p.proconfig, ','), '') || ' ' || p.prosrc AS item
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname IN ${schemas}`),
    columns: await list(`
      -- position, not attnum: a recompiled plan drops and re-adds hidden columns, leaving gaps
      SELECT n.nspname || '.' || c.relname || '.' || row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum) || ' ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ||
             ' ' || a.attnotnull::text || ' ' || COALESCE(pg_get_expr(d.adbin, d.adrelid), '') AS item
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE n.nspname IN ${schemas} AND c.relkind IN ('r', 'v', 'S') AND a.attnum > 0 AND NOT a.attisdropped`),
    constraints: await list(`
      SELECT n.nspname || '.' || c.relname || ' ' || co.conname || ' ' || pg_get_constraintdef(co.oid) AS item
        FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname IN ${schemas}`),
    indexes: await list(`
      SELECT pg_get_indexdef(i.indexrelid) AS item FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')`),
    views: await list(`
      SELECT n.nspname || '.' || c.relname || ' ' || pg_get_viewdef(c.oid) || ' ' || COALESCE(obj_description(c.oid, 'pg_class'), '') AS item
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ${schemas} AND c.relkind = 'v'`),
    triggers: await list(`SELECT pg_get_triggerdef(t.oid) AS item FROM pg_trigger t WHERE NOT t.tgisinternal`),
    eventTriggers: await list(`SELECT evtname || ' ' || evtevent || ' ' || evtfoid::regproc::text || ' ' || evtenabled::text AS item FROM pg_event_trigger`),
    plans: await list(`
      SELECT pgt_id || ' ' || plan_kind || ' ' || requested_mode || ' ' || COALESCE(compiler_version, '') || ' ' || full_sql || ' ' ||
             COALESCE(differential_sql, '') || ' ' || (compile_requested_at IS NOT NULL)::text || ' ' || COALESCE(compile_error, '') AS item
        FROM pgtrickle.pgt_coord_plans`),
    streamTables: await list(`
      SELECT pgt_id || ' ' || pgt_schema || '.' || pgt_name || ' ' || status || ' ' || refresh_mode || ' ' || defining_query || ' ' ||
             COALESCE(schedule, '') || ' ' || is_populated::text || ' ' || needs_reinit::text AS item
        FROM pgtrickle.pgt_stream_tables`),
    migrations: await list(`SELECT version || ' ' || name || ' ' || COALESCE(checksum, '') AS item FROM pgtrickle.pgt_coord_schema_version`),
  };
}
