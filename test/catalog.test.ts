import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG_VERSION, installCatalog, installedCatalogVersion, loadBundle } from '../src/catalog/install.ts';
import { PRODUCT_VERSION } from '../src/version.ts';
import { freshDatabase, type TestDatabase } from './helpers/db.ts';

describe('catalog installation', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase({ withCatalog: false });
  });
  afterAll(async () => db.drop());

  it('installs into an empty database and records its version', async () => {
    const client = await db.connectAdmin();
    expect(await installedCatalogVersion(client)).toBeNull();
    const result = await installCatalog(client);
    expect(result).toEqual({
      status: 'installed',
      from: 0,
      to: CATALOG_VERSION,
      applied: loadBundle().migrations.map((m) => m.name),
      previousProductVersion: null,
      productVersion: PRODUCT_VERSION,
    });
    expect(await installedCatalogVersion(client)).toBe(CATALOG_VERSION);
    const [versions] = await db.adminQuery<{ pg_trickle: string; product: string }>(
      'SELECT pgtrickle.version() AS pg_trickle, pgtrickle.product_version() AS product',
    );
    expect(versions).toEqual({ pg_trickle: '0.14.0', product: PRODUCT_VERSION });
  });

  it('is idempotent: installing again changes nothing', async () => {
    const client = await db.connectAdmin();
    const before = await db.adminQuery(`SELECT p.proname, md5(p.prosrc) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                                    WHERE n.nspname = 'pgtrickle' ORDER BY 1, 2`);
    const result = await installCatalog(client);
    expect(result.status).toBe('current');
    expect(result.applied).toEqual([]);
    const after = await db.adminQuery(`SELECT p.proname, md5(p.prosrc) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                                   WHERE n.nspname = 'pgtrickle' ORDER BY 1, 2`);
    expect(after).toEqual(before);
  });

  it('two coordinators installing at once serialise on the advisory lock', async () => {
    const other = await freshDatabase({ withCatalog: false });
    try {
      const [a, b] = [await other.connectAdmin(), await other.connectAdmin()];
      const results = await Promise.all([installCatalog(a), installCatalog(b)]);
      expect(results.map((r) => r.status).sort()).toEqual(['current', 'installed']);
    } finally {
      await other.drop();
    }
  });

  it('has pg_trickle catalog tables with their columns', async () => {
    const tables = await db.adminQuery<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'pgtrickle' AND c.relkind = 'r' ORDER BY 1`,
    );
    expect(tables.map((t) => t.relname)).toEqual(
      expect.arrayContaining(['pgt_stream_tables', 'pgt_dependencies', 'pgt_refresh_history', 'pgt_change_tracking']),
    );
    const cols = await db.adminQuery<{ attname: string }>(
      `SELECT attname FROM pg_attribute WHERE attrelid = 'pgtrickle.pgt_stream_tables'::regclass AND attnum > 0`,
    );
    expect(cols.map((c) => c.attname)).toEqual(
      expect.arrayContaining([
        'pgt_id', 'pgt_relid', 'pgt_name', 'pgt_schema', 'defining_query', 'schedule', 'refresh_mode', 'status',
        'is_populated', 'data_timestamp', 'last_refresh_at', 'consecutive_errors', 'last_error_message',
        'last_error_at', 'refresh_tier', 'needs_reinit', 'effective_refresh_mode',
      ]),
    );
    const history = await db.adminQuery<{ attname: string }>(
      `SELECT attname FROM pg_attribute WHERE attrelid = 'pgtrickle.pgt_refresh_history'::regclass AND attnum > 0`,
    );
    expect(history.map((c) => c.attname)).toEqual(
      expect.arrayContaining(['refresh_id', 'pgt_id', 'start_time', 'end_time', 'action', 'status', 'rows_inserted',
        'rows_deleted', 'error_message', 'initiated_by']),
    );
  });

  it('installs the SQL API with pg_trickle argument names and defaults', async () => {
    const rows = await db.adminQuery<{ args: string }>(
      `SELECT pg_get_function_arguments(p.oid) AS args FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'pgtrickle' AND p.proname = 'create_stream_table'`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.args).toMatch(/^name text, query text, schedule text DEFAULT 'calculated'::text, refresh_mode text DEFAULT 'AUTO'::text, initialize boolean DEFAULT true/);
    const fns = await db.adminQuery<{ proname: string }>(
      `SELECT DISTINCT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'pgtrickle'`,
    );
    expect(fns.map((f) => f.proname)).toEqual(
      expect.arrayContaining(['create_stream_table', 'create_stream_table_if_not_exists', 'create_or_replace_stream_table',
        'alter_stream_table', 'drop_stream_table', 'refresh_stream_table', 'resume_stream_table', 'pgt_status',
        'get_refresh_history', 'version', 'parse_duration_seconds', 'pg_trickle_hash', 'pg_trickle_hash_multi']),
    );
    const views = await db.adminQuery<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'pgtrickle' AND c.relkind = 'v'`,
    );
    expect(views.map((v) => v.relname).sort()).toEqual(['pg_stat_stream_tables', 'pgt_cdc_status', 'quick_health', 'stream_tables_info']);
  });

  it('refuses a catalog newer than the code', async () => {
    const client = await db.connectAdmin();
    await client.query(`INSERT INTO pgtrickle.pgt_coord_schema_version (version, name) VALUES (9999, 'future.sql')`);
    await expect(installCatalog(client)).rejects.toThrow(/newer than this pgtrickle/);
    await client.query('DELETE FROM pgtrickle.pgt_coord_schema_version WHERE version = 9999');
  });
});
