/**
 * Installs and upgrades the per-database catalog (DESIGN D10, D14).
 *
 * The catalog is a bundle of two kinds of SQL:
 * - `sql/migrations/NNNN_*.sql`: schema changes (schemas, tables, columns,
 *   indexes, backfills). Each runs once; once released it never changes: its
 *   checksum is recorded and a database whose applied migration no longer
 *   matches its file is refused.
 * - `sql/code/NN_*.sql`: every function, view, trigger function and event
 *   trigger, written to be re-applied (CREATE OR REPLACE). All of them run on
 *   every install or upgrade, in file order.
 * After the code, `pgtrickle._regenerate()` rebuilds every object derived from
 * the catalog's rows (per-source capture functions and probes, dependency
 * views, GENERIC_FULL plans, IMMEDIATE triggers), so an upgraded database ends
 * up equal to a fresh install that went through the same steps.
 *
 * Everything happens in one transaction under a session advisory lock, so two
 * coordinators starting together do not race and a failed upgrade leaves the
 * database as it was. The bundle hash and the product version are stored; a
 * coordinator whose bundle matches does nothing, one whose bundle differs
 * re-applies, and one older than the database's catalog refuses to run.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { CatalogInstallError, describeError } from '../errors.ts';
import { compareVersions, PRODUCT_VERSION } from '../version.ts';

const SQL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../sql');
/** pg_advisory_lock key for catalog installation: 'pgtc'. */
const INSTALL_LOCK_KEY = 1886680419;
/** Channel the installer notifies after changing a catalog; coordinators re-check theirs. */
export const CATALOG_CHANGED_OP = 'catalog_upgraded';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** sha256 of the file's bytes */
  checksum: string;
}

export interface CodeModule {
  name: string;
  sql: string;
}

export interface CatalogBundle {
  productVersion: string;
  migrations: Migration[];
  code: CodeModule[];
  /** sha256 over the product version, every migration and every code module, in order */
  hash: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function sqlFiles(dir: string, pattern: RegExp): { name: string; sql: string }[] {
  return readdirSync(dir)
    .filter((f) => pattern.test(f))
    .sort()
    .map((name) => ({ name, sql: readFileSync(path.join(dir, name), 'utf8') }));
}

/** Reads the bundle from `dir` (default: this checkout's `sql/`). */
export function loadBundle(dir = SQL_DIR, productVersion = PRODUCT_VERSION): CatalogBundle {
  const migrations = sqlFiles(path.join(dir, 'migrations'), /^\d{4}_.+\.sql$/).map((f) => ({
    version: Number(f.name.slice(0, 4)),
    name: f.name,
    sql: f.sql,
    checksum: sha256(f.sql),
  }));
  const code = sqlFiles(path.join(dir, 'code'), /^\d{2}_.+\.sql$/);
  const hash = sha256(
    JSON.stringify([productVersion, migrations.map((m) => [m.name, m.checksum]), code.map((c) => [c.name, sha256(c.sql)])]),
  );
  return { productVersion, migrations, code, hash };
}

/** The newest migration version of this checkout's bundle. */
export const CATALOG_VERSION = Math.max(...loadBundle().migrations.map((m) => m.version));

export interface InstallResult {
  /** 'installed': fresh; 'upgraded': migrations or code re-applied; 'current': nothing to do */
  status: 'installed' | 'upgraded' | 'current';
  /** newest migration version before and after */
  from: number;
  to: number;
  /** migrations applied, by file name */
  applied: string[];
  /** product version that installed the catalog before (null: none, or 0.1.0, which did not record it) */
  previousProductVersion: string | null;
  productVersion: string;
}

interface AppliedMigration {
  version: number;
  name: string;
  checksum: string | null;
}

interface CatalogState {
  applied: AppliedMigration[];
  productVersion: string | null;
  bundleHash: string | null;
}

/** What the database holds now; empty when nothing is installed. Reads only. */
export async function readCatalogState(client: pg.ClientBase): Promise<CatalogState> {
  const { rows: present } = await client.query<{ versions: boolean; checksums: boolean; state: boolean }>(
    `SELECT to_regclass('pgtrickle.pgt_coord_schema_version') IS NOT NULL AS versions,
            EXISTS (SELECT 1 FROM pg_catalog.pg_attribute
                     WHERE attrelid = to_regclass('pgtrickle.pgt_coord_schema_version') AND attname = 'checksum'
                       AND NOT attisdropped) AS checksums,
            to_regclass('pgtrickle.pgt_coord_catalog') IS NOT NULL AS state`,
  );
  const { versions, checksums, state } = present[0]!;
  if (!versions) return { applied: [], productVersion: null, bundleHash: null };
  const { rows: applied } = await client.query<AppliedMigration>(
    `SELECT version, name, ${checksums ? 'checksum' : 'NULL::text AS checksum'}
       FROM pgtrickle.pgt_coord_schema_version ORDER BY version`,
  );
  if (!state) return { applied, productVersion: null, bundleHash: null };
  const { rows } = await client.query<{ product_version: string; bundle_hash: string }>(
    'SELECT product_version, bundle_hash FROM pgtrickle.pgt_coord_catalog',
  );
  return { applied, productVersion: rows[0]?.product_version ?? null, bundleHash: rows[0]?.bundle_hash ?? null };
}

/**
 * The release before checksums (0.1.0) recorded its one migration without
 * one. Its tables are exactly those of today's 0001_catalog.sql (that file is
 * 0.1.0's tables, moved), so such a row is adopted and given the checksum.
 */
const LEGACY_MIGRATION = { version: 1, name: '0001_catalog.sql' };

/**
 * Refuses what must not be upgraded: a catalog with migrations this bundle
 * does not know, one installed by a newer product version, or an applied
 * migration whose file has changed since.
 */
function checkCompatible(state: CatalogState, bundle: CatalogBundle): void {
  const known = new Map(bundle.migrations.map((m) => [m.version, m]));
  const unknown = state.applied.filter((a) => !known.has(a.version));
  if (unknown.length || (state.productVersion && compareVersions(state.productVersion, bundle.productVersion) > 0)) {
    throw new CatalogInstallError(
      `the pgtrickle catalog in this database was installed by pgtrickle ${state.productVersion ?? 'of a newer version'}` +
        `${unknown.length ? ` (migration ${unknown.map((u) => u.name).join(', ')})` : ''}, newer than this pgtrickle ${bundle.productVersion}; ` +
        'upgrade pgtrickle on this node (an older coordinator never downgrades a catalog)',
    );
  }
  for (const a of state.applied) {
    const file = known.get(a.version)!;
    if (a.checksum === null) {
      if (a.version === LEGACY_MIGRATION.version && a.name === LEGACY_MIGRATION.name && state.productVersion === null) continue;
      throw new CatalogInstallError(`applied migration ${a.name} has no checksum and is not one this pgtrickle knows how to adopt`);
    }
    if (a.checksum !== file.checksum || a.name !== file.name) {
      throw new CatalogInstallError(
        `migration ${a.name} was changed after it was applied to this database (recorded checksum ${a.checksum.slice(0, 12)}…, ` +
          `file sql/migrations/${file.name} has ${file.checksum.slice(0, 12)}…); released migrations are immutable: ` +
          'restore the file and add the change as a new migration',
      );
    }
  }
}

/**
 * Installs or upgrades the catalog in the database `client` is connected to.
 * Idempotent; safe to call on every start and from several nodes at once.
 */
export async function installCatalog(client: pg.ClientBase, bundle: CatalogBundle = loadBundle()): Promise<InstallResult> {
  await client.query('SELECT pg_advisory_lock($1)', [INSTALL_LOCK_KEY]);
  try {
    const state = await readCatalogState(client);
    checkCompatible(state, bundle);
    const appliedVersions = new Set(state.applied.map((a) => a.version));
    const pending = bundle.migrations.filter((m) => !appliedVersions.has(m.version));
    const from = Math.max(0, ...state.applied.map((a) => a.version));
    const result = {
      from,
      to: Math.max(from, ...bundle.migrations.map((m) => m.version)),
      applied: pending.map((m) => m.name),
      previousProductVersion: state.productVersion,
      productVersion: bundle.productVersion,
    };
    if (pending.length === 0 && state.bundleHash === bundle.hash) return { status: 'current', ...result };

    let step = 'starting';
    try {
      await client.query('BEGIN');
      step = 'bootstrap';
      await client.query(`CREATE SCHEMA IF NOT EXISTS pgtrickle;
        CREATE TABLE IF NOT EXISTS pgtrickle.pgt_coord_schema_version (
          version int PRIMARY KEY, name text NOT NULL, installed_at timestamptz NOT NULL DEFAULT now(), checksum text);
        ALTER TABLE pgtrickle.pgt_coord_schema_version ADD COLUMN IF NOT EXISTS checksum text`);
      for (const migration of pending) {
        step = `migration ${migration.name}`;
        await client.query('INSERT INTO pgtrickle.pgt_coord_schema_version (version, name, checksum) VALUES ($1, $2, $3)', [
          migration.version,
          migration.name,
          migration.checksum,
        ]);
        await client.query(migration.sql);
      }
      step = 'adopting the 0.1.0 migration record';
      await client.query(
        `UPDATE pgtrickle.pgt_coord_schema_version SET checksum = $3 WHERE version = $1 AND name = $2 AND checksum IS NULL`,
        [LEGACY_MIGRATION.version, LEGACY_MIGRATION.name, bundle.migrations.find((m) => m.version === LEGACY_MIGRATION.version)?.checksum],
      );
      // Function bodies are checked when they run, not when defined (as pg_dump
      // restores do), so modules need not be ordered by who calls whom.
      await client.query('SET LOCAL check_function_bodies = off');
      for (const module of bundle.code) {
        step = `code module ${module.name}`;
        await client.query(module.sql);
      }
      step = 'regenerating derived objects';
      await client.query('SELECT pgtrickle._regenerate()');
      step = 'recording the bundle';
      await client.query(
        `INSERT INTO pgtrickle.pgt_coord_catalog (product_version, bundle_hash) VALUES ($1, $2)
         ON CONFLICT (singleton) DO UPDATE SET product_version = EXCLUDED.product_version,
                                               bundle_hash = EXCLUDED.bundle_hash, installed_at = now()`,
        [bundle.productVersion, bundle.hash],
      );
      await client.query(`SELECT pg_notify('pgtrickle_coordinator', json_build_object('op', $1::text, 'version', $2::text)::text)`, [
        CATALOG_CHANGED_OP,
        bundle.productVersion,
      ]);
      await client.query('COMMIT');
    } catch (raw) {
      await client.query('ROLLBACK').catch(() => {});
      throw new CatalogInstallError(`installing the pgtrickle catalog failed at ${step}: ${describeError(raw)}`, { cause: raw });
    }
    return { status: state.applied.length === 0 ? 'installed' : 'upgraded', ...result };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [INSTALL_LOCK_KEY]).catch(() => {});
  }
}

/**
 * Whether this coordinator may keep running against the catalog as it is now
 * (another node may have upgraded it since): null when it may, else the
 * reason. A catalog from a newer release is a reason; a different build of
 * the same release is not (the later start re-applied its code, and both
 * builds read the same tables).
 */
export async function catalogMismatch(client: pg.ClientBase, bundle: CatalogBundle = loadBundle()): Promise<string | null> {
  const state = await readCatalogState(client);
  try {
    checkCompatible(state, bundle);
  } catch (raw) {
    return (raw as Error).message;
  }
  return null;
}

export async function installedCatalogVersion(client: pg.ClientBase): Promise<number | null> {
  const state = await readCatalogState(client);
  return state.applied.length ? Math.max(...state.applied.map((a) => a.version)) : null;
}
