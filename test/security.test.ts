/**
 * Attacks by a real non-superuser role (DESIGN D13), each named after what it
 * tries: each must fail with a clear error and leave the superuser's data
 * where it was. The roles are created per run (roles are server-wide) and
 * dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePendingPlans } from '../src/compile/plans.ts';
import { CompilerPool } from '../src/compile/pool.ts';
import { freshDatabase, oracleDiff, urlFor, type TestDatabase } from './helpers/db.ts';

const PASSWORD = 'pgtrickle-test';

describe('security: a non-superuser role', () => {
  let db: TestDatabase;
  let alice: pg.Client;
  let nobody: pg.Client;
  const suffix = randomBytes(4).toString('hex');
  const aliceRole = `alice_${suffix}`;
  const nobodyRole = `nobody_${suffix}`;

  const connectAs = async (role: string): Promise<pg.Client> => {
    const url = new URL(urlFor(db.name));
    url.username = role;
    url.password = PASSWORD;
    const client = new pg.Client({ connectionString: url.toString() });
    client.on('error', () => {});
    await client.connect();
    return client;
  };

  beforeAll(async () => {
    db = await freshDatabase();
    for (const role of [aliceRole, nobodyRole]) await db.adminQuery(`CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}'`);
    await db.adminQuery(`GRANT CREATE ON SCHEMA public TO ${aliceRole}, ${nobodyRole}`);
    // docs/SECURITY.md: all a user needs.
    await db.adminQuery(`GRANT pgtrickle_user TO ${aliceRole}`);
    await db.query(`CREATE TABLE secret (id int PRIMARY KEY, card text)`);
    await db.query(`INSERT INTO secret VALUES (1, '4111-1111-1111-1111')`);
    await db.query(`CREATE TABLE victim (id int PRIMARY KEY)`);
    await db.query(`INSERT INTO victim VALUES (1), (2)`);
    // The superuser's stream table over secret: secret is captured.
    await db.query(`SELECT pgtrickle.create_stream_table('secret_totals', 'SELECT count(*) AS n FROM secret', '1m', 'FULL')`);
    alice = await connectAs(aliceRole);
    nobody = await connectAs(nobodyRole);
  });
  afterAll(async () => {
    await alice?.end().catch(() => {});
    await nobody?.end().catch(() => {});
    await db.drop();
    const admin = new pg.Client({ connectionString: urlFor('postgres') });
    await admin.connect();
    for (const role of [aliceRole, nobodyRole]) await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
    await admin.end();
  });

  it('reading a table without SELECT through a stream table is refused, also with initialize => false on a captured source', async () => {
    for (const initialize of [true, false]) {
      await expect(
        alice.query(`SELECT pgtrickle.create_stream_table('leak', 'SELECT * FROM public.secret', '1m', 'FULL', initialize => $1)`, [initialize]),
      ).rejects.toMatchObject({ code: '42501', message: 'permission denied for table secret' });
    }
    expect(await db.query(`SELECT count(*)::int AS n FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'leak'`)).toEqual([{ n: 0 }]);
  });

  it.each([
    ['alter', `SELECT pgtrickle.alter_stream_table('secret_totals', schedule => '5s')`],
    ['alter status', `SELECT pgtrickle.alter_stream_table('secret_totals', status => 'suspended')`],
    ['alter mode', `SELECT pgtrickle.alter_stream_table('secret_totals', refresh_mode => 'DIFFERENTIAL')`],
    ['alter tier', `SELECT pgtrickle.alter_stream_table('secret_totals', tier => 'frozen')`],
    ['drop', `SELECT pgtrickle.drop_stream_table('secret_totals')`],
    ['refresh', `SELECT pgtrickle.refresh_stream_table('secret_totals')`],
    ['resume', `SELECT pgtrickle.resume_stream_table('secret_totals')`],
    ['replace', `SELECT pgtrickle.create_or_replace_stream_table('secret_totals', 'SELECT count(*) AS n FROM public.victim', '1m', 'FULL')`],
  ])('changing a stream table she does not own is refused: %s', async (_what, sql) => {
    await expect(alice.query(sql)).rejects.toMatchObject({ code: '42501', message: 'must be owner of stream table public.secret_totals' });
    expect(await db.query(`SELECT schedule, status, refresh_mode, refresh_tier FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'secret_totals'`))
      .toEqual([{ schedule: '1m', status: 'ACTIVE', refresh_mode: 'FULL', refresh_tier: 'hot' }]);
  });

  it('reading status stays open', async () => {
    const { rows } = await alice.query(`SELECT name, status FROM pgtrickle.pgt_status()`);
    expect(rows).toEqual([{ name: 'public.secret_totals', status: 'ACTIVE' }]);
  });

  it.each([
    ['a dollar-quote the old lexer misread', `SELECT id AS é$$ FROM victim; DROP TABLE victim; -- $$`, {}],
    ['a backslash quote with standard_conforming_strings off', `SELECT '\\' ; DROP TABLE victim; --'`, { scs: 'off' }],
    ['a second statement after a comment', `SELECT 1 AS x /* ; */; DROP TABLE victim`, {}],
  ])('a second statement hidden in the query never runs: %s', async (_what, query, options: { scs?: string }) => {
    const client = await db.connect();
    if (options.scs) await client.query(`SET standard_conforming_strings = ${options.scs}`);
    const result = await client
      .query(`SELECT pgtrickle.create_stream_table('sneaky', $1, '1m', 'FULL')`, [query])
      .then(() => null, (err: { code?: string; message: string }) => err);
    // One statement by the server's own reading (a string literal), or refused: never a DROP.
    if (result) expect(['42601', '22023']).toContain(result.code);
    expect(await db.query(`SELECT count(*)::int AS n FROM victim`)).toEqual([{ n: 2 }]);
    await client.query(`SELECT pgtrickle.drop_stream_table('sneaky')`).catch(() => {});
    await client.query('RESET standard_conforming_strings');
  });

  it('her own DIFFERENTIAL and IMMEDIATE stream tables work, and refreshes by the coordinator run as her', async () => {
    await alice.query(`CREATE TABLE alice_orders (id int PRIMARY KEY, amount int)`);
    await alice.query(`INSERT INTO alice_orders SELECT g, g FROM generate_series(1, 20) g`);
    await alice.query(`CREATE FUNCTION whoami() RETURNS text LANGUAGE sql STABLE AS 'SELECT current_user::text'`);
    await alice.query(`SELECT pgtrickle.create_stream_table('alice_totals', 'SELECT id % 3 AS k, sum(amount) AS s, count(*) AS n FROM alice_orders GROUP BY 1', '1m', 'DIFFERENTIAL')`);
    await alice.query(`SELECT pgtrickle.create_stream_table('alice_live', 'SELECT id % 2 AS k, sum(amount) AS s FROM alice_orders GROUP BY 1', 'calculated', 'IMMEDIATE')`);
    await alice.query(`SELECT pgtrickle.create_stream_table('alice_who', 'SELECT public.whoami() AS who, count(*) AS n FROM alice_orders', '1m', 'FULL')`);
    // The coordinator compiles the DIFFERENTIAL plans (as the catalog owner).
    const compiler = new CompilerPool({ threads: 1 });
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      await compilePendingPlans(admin, compiler);
    } finally {
      await compiler.close();
      await admin.end();
    }
    await db.adminQuery(`SELECT pgtrickle.refresh_stream_table('alice_totals')`);
    await alice.query(`INSERT INTO alice_orders VALUES (100, 100)`);
    await alice.query(`UPDATE alice_orders SET amount = amount + 1 WHERE id < 5`);
    await alice.query(`DELETE FROM alice_orders WHERE id = 7`);
    // The scheduler's path, called by the catalog owner (a superuser here).
    for (const name of ['alice_totals', 'alice_who']) {
      const [row] = await db.adminQuery<{ action: string }>(`SELECT pgtrickle._refresh((pgtrickle._find_stream_table($1)).pgt_id, 'SCHEDULER') AS action`, [name]);
      expect(row!.action, name).not.toBe('FAILED');
    }
    await alice.query(`SELECT pgtrickle.refresh_stream_table('alice_totals')`);
    expect(await oracleDiff({ query: db.adminQuery }, 'alice_totals', 'SELECT id % 3 AS k, sum(amount) AS s, count(*) AS n FROM alice_orders GROUP BY 1')).toEqual({ extra: [], missing: [] });
    expect(await oracleDiff({ query: db.adminQuery }, 'alice_live', 'SELECT id % 2 AS k, sum(amount) AS s FROM alice_orders GROUP BY 1')).toEqual({ extra: [], missing: [] });
    expect(await db.adminQuery(`SELECT who FROM alice_who`)).toEqual([{ who: aliceRole }]);
    const actions = await alice.query<{ action: string }>(`SELECT action FROM pgtrickle.get_refresh_history('alice_totals') ORDER BY refresh_id DESC LIMIT 2`);
    expect(actions.rows.map((r) => r.action)).toEqual(['NO_DATA', 'DIFFERENTIAL']); // the scheduler's refresh was the differential one
    // Everything pgtrickle generated for her source belongs to the catalog owner.
    const owners = await db.query<{ owner: string }>(
      `SELECT DISTINCT pg_get_userbyid(p.proowner) AS owner FROM pg_proc p
        WHERE p.pronamespace = 'pgtrickle_changes'::regnamespace AND p.proname LIKE '%' || 'alice_orders'::regclass::oid`,
    );
    expect(owners).toEqual([{ owner: (await db.adminQuery<{ u: string }>('SELECT current_user AS u'))[0]!.u }]);
  });

  it('her code cannot switch role during a refresh the coordinator runs', async () => {
    await alice.query(`CREATE FUNCTION escalate() RETURNS text LANGUAGE plpgsql VOLATILE AS $$
      BEGIN RESET ROLE; RETURN (SELECT card FROM public.secret LIMIT 1); END $$`);
    await alice.query(`SELECT pgtrickle.create_stream_table('alice_escalate', 'SELECT public.escalate() AS x FROM alice_orders LIMIT 1', '1m', 'FULL', initialize => false)`);
    const [row] = await db.adminQuery<{ action: string }>(`SELECT pgtrickle._refresh((pgtrickle._find_stream_table('alice_escalate')).pgt_id, 'SCHEDULER') AS action`);
    expect(row!.action).toBe('FAILED');
    const [err] = await db.adminQuery<{ e: string }>(`SELECT last_error_message AS e FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'alice_escalate'`);
    expect(err!.e).toMatch(/cannot set parameter "role" within security-definer function/);
    expect(await db.adminQuery(`SELECT * FROM alice_escalate`)).toEqual([]);
  });

  it('her runner made SECURITY INVOKER refuses to run as the coordinator', async () => {
    const [{ oid }] = (await alice.query<{ oid: string }>(`SELECT oid::text FROM pg_roles WHERE rolname = current_user`)).rows as [{ oid: string }];
    await alice.query(`INSERT INTO alice_orders VALUES (200, 200)`);
    await alice.query(`ALTER FUNCTION pgtrickle_changes.pgt_run_as_${oid}(text, boolean) SECURITY INVOKER`);
    const [row] = await db.adminQuery<{ action: string }>(`SELECT pgtrickle._refresh((pgtrickle._find_stream_table('alice_who')).pgt_id, 'SCHEDULER') AS action`);
    expect(row!.action).toBe('FAILED');
    expect(await db.adminQuery(`SELECT who FROM alice_who`)).toEqual([{ who: aliceRole }]);
    await db.adminQuery(`ALTER FUNCTION pgtrickle_changes.pgt_run_as_${oid}(text, boolean) SECURITY DEFINER`);
    await db.adminQuery(`SELECT pgtrickle.resume_stream_table('alice_who')`);
  });

  it('internals are closed: catalog rows, change buffers, capture and IMMEDIATE trigger functions, generated helpers', async () => {
    const secretOid = (await db.query<{ oid: string }>(`SELECT 'secret'::regclass::oid::text AS oid`))[0]!.oid;
    const superId = (await db.query<{ id: string }>(`SELECT pgt_id::text AS id FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'secret_totals'`))[0]!.id;
    // Another owner's catalog row: row-level security leaves it alone.
    const updated = await alice.query(`UPDATE pgtrickle.pgt_stream_tables SET schedule = '5s' WHERE pgt_name = 'secret_totals'`);
    expect(updated.rowCount).toBe(0);
    await expect(alice.query(`UPDATE pgtrickle.pgt_coord_plans SET full_sql = 'SELECT 1' WHERE pgt_id = ${superId}`)).resolves.toMatchObject({ rowCount: 0 });
    await expect(alice.query(`SELECT * FROM pgtrickle.pgt_refresh_history WHERE pgt_id = ${superId}`)).resolves.toMatchObject({ rowCount: 0 });
    // The buffer of a table she may not read.
    await expect(alice.query(`SELECT * FROM pgtrickle_changes.changes_${secretOid}`)).rejects.toMatchObject({ code: '42501' });
    await expect(alice.query(`INSERT INTO pgtrickle_changes.changes_${secretOid} (action) VALUES ('T')`)).rejects.toMatchObject({ code: '42501' });
    // Forging changes through the capture function on her own table, or refreshes through the IMMEDIATE one.
    await expect(alice.query(`CREATE TRIGGER forge AFTER INSERT ON alice_orders REFERENCING NEW TABLE AS __pgt_new
      FOR EACH STATEMENT EXECUTE FUNCTION pgtrickle_changes.pg_trickle_cdc_ins_fn_${secretOid}()`)).rejects.toMatchObject({ code: '42501' });
    await expect(alice.query(`CREATE TRIGGER forge AFTER INSERT ON alice_orders
      FOR EACH STATEMENT EXECUTE FUNCTION pgtrickle._ivm_refresh('${superId}')`)).rejects.toMatchObject({ code: '42501' });
    // Replacing a generated helper the scheduler runs.
    await expect(alice.query(`CREATE OR REPLACE FUNCTION pgtrickle_changes.pgt_window_${secretOid}(pgt_id bigint) RETURNS boolean
      LANGUAGE sql AS 'SELECT true'`)).rejects.toMatchObject({ code: '42501' });
    // Internal functions only the catalog owner runs.
    await expect(alice.query(`SELECT pgtrickle._regenerate()`)).rejects.toMatchObject({ code: '42501' });
    expect(await db.query(`SELECT schedule FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'secret_totals'`)).toEqual([{ schedule: '1m' }]);
  });

  it('a role with no pgtrickle grants can call nothing', async () => {
    await expect(nobody.query(`SELECT pgtrickle.pgt_status()`)).rejects.toMatchObject({ code: '42501' });
    await expect(nobody.query(`SELECT pgtrickle.create_stream_table('x', 'SELECT 1 AS a FROM pg_class', '1m', 'FULL')`)).rejects.toMatchObject({ code: '42501' });
  });

  it('a STABLE wrapper around a volatile function is not trusted outside FULL', async () => {
    await alice.query(`CREATE FUNCTION dice() RETURNS float8 LANGUAGE sql STABLE AS 'SELECT random()'`);
    for (const mode of ['DIFFERENTIAL', 'IMMEDIATE', 'AUTO']) {
      await expect(alice.query(`SELECT pgtrickle.create_stream_table('dice_st', 'SELECT id, public.dice() AS d FROM alice_orders', '1m', $1)`, [mode]))
        .rejects.toMatchObject({ code: '0A000', message: expect.stringMatching(/volatile/) });
    }
    // IMMUTABLE is the owner's promise, as for an index expression; FULL takes anything.
    await alice.query(`SELECT pgtrickle.create_stream_table('dice_st', 'SELECT id, public.dice() AS d FROM alice_orders', '1m', 'FULL')`);
  });

  it('DDL by a role without any pgtrickle grants works (the event triggers do not need its privileges)', async () => {
    await nobody.query(`CREATE TABLE nobody_t (id int)`);
    await nobody.query(`ALTER TABLE nobody_t ADD COLUMN v text`);
    await nobody.query(`CREATE VIEW nobody_v AS SELECT * FROM nobody_t`);
    await nobody.query(`DROP VIEW nobody_v`);
    await nobody.query(`DROP TABLE nobody_t`);
  });
});

describe('renames are followed', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
    await db.query(`CREATE TABLE src (id int PRIMARY KEY, v int)`);
    await db.query(`INSERT INTO src SELECT g, g FROM generate_series(1, 10) g`);
    await db.query(`CREATE SCHEMA reports`);
    await db.query(`SELECT pgtrickle.create_stream_table('reports.totals', 'SELECT sum(v) AS s FROM src', '1m', 'FULL')`);
  });
  afterAll(async () => db.drop());

  it('renaming the storage table, then its schema, keeps the stream table under its new name', async () => {
    await db.query(`ALTER TABLE reports.totals RENAME TO grand_totals`);
    expect(await db.query(`SELECT pgt_schema, pgt_name FROM pgtrickle.pgt_stream_tables`)).toEqual([{ pgt_schema: 'reports', pgt_name: 'grand_totals' }]);
    await db.query(`ALTER SCHEMA reports RENAME TO "Reports 2"`);
    expect(await db.query(`SELECT name FROM pgtrickle.pgt_status()`)).toEqual([{ name: '"Reports 2".grand_totals' }]);
    await db.query(`INSERT INTO src VALUES (11, 11)`);
    await db.query(`SELECT pgtrickle.refresh_stream_table('"Reports 2".grand_totals')`);
    expect(await oracleDiff(db, '"Reports 2".grand_totals', 'SELECT sum(v) AS s FROM src')).toEqual({ extra: [], missing: [] });
  });
});
