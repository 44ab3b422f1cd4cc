/**
 * The coordinator's own role (docs/SECURITY.md): a non-superuser that owns its
 * database installs the catalog and maintains stream tables, without source
 * DDL tracking (event triggers need a superuser), and says so; one that may
 * not create the catalog fails cleanly and leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCatalog } from '../src/catalog/install.ts';
import { adminUrl, freshDatabase, oracleDiff, urlFor, type TestDatabase } from './helpers/db.ts';

const PASSWORD = 'pgtrickle-test';

describe('the coordinator as a non-superuser', () => {
  const role = `coord_${randomBytes(4).toString('hex')}`;
  let db: TestDatabase;
  let admin: pg.Client;
  const asRole = async (database: string) => {
    const url = new URL(urlFor(database));
    url.username = role;
    url.password = PASSWORD;
    const client = new pg.Client({ connectionString: url.toString() });
    client.on('error', () => {});
    await client.connect();
    return client;
  };

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}' NOSUPERUSER`);
    db = await freshDatabase({ withCatalog: false });
    await admin.query(`ALTER DATABASE ${db.name} OWNER TO ${role}`);
    await db.adminQuery(`ALTER SCHEMA public OWNER TO ${role}`);
  });
  afterAll(async () => {
    await db.drop();
    await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
    await admin.end();
  });

  it('installs the catalog (warning that DDL tracking is off) and maintains its stream tables', async () => {
    const client = await asRole(db.name);
    const notices: string[] = [];
    client.on('notice', (n) => notices.push(n.message ?? ''));
    try {
      expect(await installCatalog(client)).toMatchObject({ status: 'installed' });
      expect(notices.join('\n')).toMatch(/is not a superuser, so changes to source tables are not tracked/);
      expect(await db.adminQuery(`SELECT count(*)::int AS n FROM pg_event_trigger`)).toEqual([{ n: 0 }]);
      await client.query(`CREATE TABLE t (id int PRIMARY KEY, v int)`);
      await client.query(`INSERT INTO t SELECT g, g FROM generate_series(1, 10) g`);
      await client.query(`SELECT pgtrickle.create_stream_table('st', 'SELECT id % 3 AS k, sum(v) AS s FROM t GROUP BY 1', '1m', 'FULL')`);
      await client.query(`INSERT INTO t VALUES (11, 11)`);
      await client.query(`SELECT pgtrickle._refresh((pgtrickle._find_stream_table('st')).pgt_id, 'SCHEDULER')`);
      expect(await oracleDiff({ query: async (sql, params) => (await client.query(sql, params)).rows as never[] }, 'st',
        'SELECT id % 3 AS k, sum(v) AS s FROM t GROUP BY 1')).toEqual({ extra: [], missing: [] });
    } finally {
      await client.end();
    }
  });
});

describe('an install that may not create the catalog', () => {
  let db: TestDatabase;
  const role = `weak_${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    db = await freshDatabase({ withCatalog: false });
    await db.adminQuery(`CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}' NOSUPERUSER`);
    await db.adminQuery(`REVOKE CREATE ON DATABASE ${db.name} FROM PUBLIC`);
  });
  afterAll(async () => {
    await db.adminQuery(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
    await db.drop();
  });

  it('fails with a clear message and leaves nothing', async () => {
    const url = new URL(urlFor(db.name));
    url.username = role;
    url.password = PASSWORD;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      await expect(installCatalog(client)).rejects.toThrow(/installing the pgtrickle catalog failed at bootstrap: permission denied for database/);
    } finally {
      await client.end();
    }
    expect(await db.adminQuery(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pgtrickle%'`)).toEqual([]);
  });
});
