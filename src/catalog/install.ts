/**
 * Installs and upgrades the per-database catalog (DESIGN D10) from the numbered
 * files in sql/ (`0001_catalog.sql`, `0002_….sql`, …). Each file runs in its own
 * transaction with its version row written first, all under a session advisory
 * lock so two coordinators starting together do not race.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { CatalogInstallError, describeError } from '../errors.ts';

const SQL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../sql');
/** pg_advisory_lock key for catalog installation: 'pgtc'. */
const INSTALL_LOCK_KEY = 1886680419;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir = SQL_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), name: f, sql: readFileSync(path.join(dir, f), 'utf8') }));
}

export const CATALOG_VERSION = Math.max(...loadMigrations().map((m) => m.version));

export interface InstallResult {
  from: number;
  to: number;
  applied: string[];
}

/** Installs or upgrades the catalog in the database `client` is connected to. Idempotent. */
export async function installCatalog(client: pg.ClientBase, migrations = loadMigrations()): Promise<InstallResult> {
  await client.query('SELECT pg_advisory_lock($1)', [INSTALL_LOCK_KEY]);
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS pgtrickle;
      CREATE TABLE IF NOT EXISTS pgtrickle.pgt_coord_schema_version (
        version int PRIMARY KEY, name text NOT NULL, installed_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ v: number | null }>(
      'SELECT max(version) AS v FROM pgtrickle.pgt_coord_schema_version',
    );
    const from = rows[0]?.v ?? 0;
    const newest = Math.max(0, ...migrations.map((m) => m.version));
    if (from > newest) {
      throw new CatalogInstallError(
        `the pgtrickle catalog in this database is version ${from}, newer than this pgtrickle (version ${newest}); upgrade pgtrickle`,
      );
    }
    const applied: string[] = [];
    for (const migration of migrations.filter((m) => m.version > from)) {
      try {
        await client.query('BEGIN');
        await client.query('INSERT INTO pgtrickle.pgt_coord_schema_version (version, name) VALUES ($1, $2)', [
          migration.version,
          migration.name,
        ]);
        await client.query(migration.sql);
        await client.query('COMMIT');
        applied.push(migration.name);
      } catch (raw) {
        await client.query('ROLLBACK').catch(() => {});
        throw new CatalogInstallError(`installing ${migration.name} failed: ${describeError(raw)}`, { cause: raw });
      }
    }
    return { from, to: Math.max(from, newest), applied };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [INSTALL_LOCK_KEY]).catch(() => {});
  }
}

export async function installedCatalogVersion(client: pg.ClientBase): Promise<number | null> {
  const { rows } = await client.query<{ present: boolean }>(
    "SELECT to_regclass('pgtrickle.pgt_coord_schema_version') IS NOT NULL AS present",
  );
  if (!rows[0]?.present) return null;
  const v = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM pgtrickle.pgt_coord_schema_version');
  return v.rows[0]?.v ?? null;
}
