/**
 * Attacks by a real non-superuser role (DESIGN D13), each named after what it
 * tries: each must fail with a clear error and leave the superuser's data
 * where it was. The roles are created per run (roles are server-wide) and
 * dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    for (const role of [aliceRole, nobodyRole]) await db.query(`CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}'`);
    await db.query(`GRANT CREATE ON SCHEMA public TO ${aliceRole}, ${nobodyRole}`);
    await db.query(`GRANT USAGE ON SCHEMA pgtrickle TO ${aliceRole}`);
    await db.query(`GRANT SELECT ON ALL TABLES IN SCHEMA pgtrickle TO ${aliceRole}`);
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
