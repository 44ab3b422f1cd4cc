/**
 * Create / alter / drop / resume and change capture (issue #2, points 4–5).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, oracleDiff, type TestDatabase } from './helpers/db.ts';

describe('stream table lifecycle', () => {
  let db: TestDatabase;
  let ordersOid: number;
  beforeAll(async () => {
    db = await freshDatabase();
    await db.query(`CREATE TABLE orders (id int PRIMARY KEY, customer_id int, amount numeric)`);
    await db.query(`CREATE TABLE notes (body text)`); // keyless
    await db.query(`INSERT INTO orders SELECT g, g % 4, g * 10 FROM generate_series(1, 40) g`);
    ordersOid = (await db.query<{ oid: number }>(`SELECT 'orders'::regclass::oid AS oid`))[0]!.oid;
  });
  afterAll(async () => db.drop());

  const triggersOn = async (table: string) =>
    (await db.query<{ tgname: string }>(`SELECT tgname FROM pg_trigger WHERE tgrelid = $1::regclass AND NOT tgisinternal ORDER BY 1`, [table])).map((r) => r.tgname);

  it('creates storage, catalog rows, statement triggers and a typed change buffer', async () => {
    await db.query(`SELECT pgtrickle.create_stream_table('big_orders', 'SELECT id, amount FROM orders WHERE amount > 200', '30s', 'FULL')`);
    const [st] = await db.query(`SELECT status, refresh_mode, schedule, is_populated, defining_query, original_query FROM pgtrickle.pgt_stream_tables`);
    expect(st).toMatchObject({ status: 'ACTIVE', refresh_mode: 'FULL', schedule: '30s', is_populated: true });
    expect((st as { defining_query: string }).defining_query).toContain('public.orders');
    expect(await triggersOn('orders')).toEqual([
      `pg_trickle_cdc_del_${ordersOid}`, `pg_trickle_cdc_ins_${ordersOid}`, `pg_trickle_cdc_truncate_${ordersOid}`, `pg_trickle_cdc_upd_${ordersOid}`,
    ]);
    const buffer = await db.query<{ attname: string; type: string }>(
      `SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute
        WHERE attrelid = 'pgtrickle_changes.changes_${ordersOid}'::regclass AND attnum > 0 ORDER BY attnum`,
    );
    expect(buffer).toEqual([
      { attname: 'change_id', type: 'bigint' }, { attname: 'xid', type: 'xid8' }, { attname: 'action', type: 'character(1)' },
      { attname: 'new_id', type: 'integer' }, { attname: 'old_id', type: 'integer' },
      { attname: 'new_customer_id', type: 'integer' }, { attname: 'old_customer_id', type: 'integer' },
      { attname: 'new_amount', type: 'numeric' }, { attname: 'old_amount', type: 'numeric' },
    ]);
    const fns = await db.query<{ prosecdef: boolean; proconfig: string[] }>(
      `SELECT prosecdef, proconfig FROM pg_proc WHERE proname = 'pg_trickle_cdc_ins_fn_${ordersOid}'`,
    );
    expect(fns).toEqual([{ prosecdef: true, proconfig: ['search_path=pg_catalog, pgtrickle_changes'] }]);
    expect(await oracleDiff(db, 'big_orders', 'SELECT id, amount FROM orders WHERE amount > 200')).toEqual({ extra: [], missing: [] });
  });

  it('captures old and new images: U for keyed updates, D+I when the key changes', async () => {
    await db.query(`UPDATE orders SET amount = amount + 1 WHERE id = 1`);
    await db.query(`UPDATE orders SET id = 1001 WHERE id = 2`);
    await db.query(`DELETE FROM orders WHERE id = 3`);
    await db.query(`INSERT INTO orders VALUES (41, 1, 5)`);
    const rows = await db.query(
      `SELECT action, new_id, old_id, new_amount, old_amount FROM pgtrickle_changes.changes_${ordersOid} ORDER BY change_id`,
    );
    expect(rows).toEqual([
      { action: 'U', new_id: 1, old_id: 1, new_amount: '11', old_amount: '10' },
      { action: 'D', new_id: null, old_id: 2, new_amount: null, old_amount: '20' },
      { action: 'I', new_id: 1001, old_id: null, new_amount: '20', old_amount: null },
      { action: 'D', new_id: null, old_id: 3, new_amount: null, old_amount: '30' },
      { action: 'I', new_id: 41, old_id: null, new_amount: '5', old_amount: null },
    ]);
  });

  it('captures TRUNCATE as a marker and the next refresh empties the stream table', async () => {
    await db.query(`CREATE TABLE scratch (v int)`);
    await db.query(`INSERT INTO scratch VALUES (1), (2)`);
    await db.query(`SELECT pgtrickle.create_stream_table('scratch_copy', 'SELECT v FROM scratch', '1m', 'FULL')`);
    await db.query(`TRUNCATE scratch`);
    const oid = (await db.query<{ oid: number }>(`SELECT 'scratch'::regclass::oid AS oid`))[0]!.oid;
    expect(await db.query(`SELECT action FROM pgtrickle_changes.changes_${oid}`)).toEqual([{ action: 'T' }]);
    await db.query(`SELECT pgtrickle.refresh_stream_table('scratch_copy')`);
    expect(await db.query(`SELECT * FROM scratch_copy`)).toEqual([]);
    await db.query(`SELECT pgtrickle.drop_stream_table('scratch_copy')`);
  });

  it('keyless sources capture updates as a delete plus an insert', async () => {
    await db.query(`SELECT pgtrickle.create_stream_table('note_copy', 'SELECT body FROM notes', '1m', 'FULL')`);
    await db.query(`INSERT INTO notes VALUES ('a'), ('a'), ('b')`);
    await db.query(`UPDATE notes SET body = 'c' WHERE body = 'b'`);
    const oid = (await db.query<{ oid: number }>(`SELECT 'notes'::regclass::oid AS oid`))[0]!.oid;
    expect(await db.query(`SELECT action, new_body, old_body FROM pgtrickle_changes.changes_${oid} ORDER BY change_id`)).toEqual([
      { action: 'I', new_body: 'a', old_body: null }, { action: 'I', new_body: 'a', old_body: null },
      { action: 'I', new_body: 'b', old_body: null }, { action: 'D', new_body: null, old_body: 'b' },
      { action: 'I', new_body: 'c', old_body: null },
    ]);
    await db.query(`SELECT pgtrickle.refresh_stream_table('note_copy')`);
    expect(await oracleDiff(db, 'note_copy', 'SELECT body FROM notes')).toEqual({ extra: [], missing: [] });
    expect((await db.query(`SELECT has_keyless_source FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'note_copy'`))[0]).toEqual({ has_keyless_source: true });
  });

  it('shares one buffer between stream tables and removes it with the last consumer', async () => {
    await db.query(`SELECT pgtrickle.create_stream_table('order_counts', 'SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id', '1m', 'FULL')`);
    expect(await db.query(`SELECT tracked_by_pgt_ids FROM pgtrickle.pgt_change_tracking WHERE source_relid = $1`, [ordersOid]))
      .toEqual([{ tracked_by_pgt_ids: expect.arrayContaining([expect.any(String), expect.any(String)]) }]);
    await db.query(`SELECT pgtrickle.drop_stream_table('big_orders')`);
    expect(await triggersOn('orders')).toHaveLength(4);
    const bufferFunctions = `SELECT count(*)::int AS n FROM pg_proc WHERE proname ~ '^pgt_(window|cleanup|pending|truncate_consumed)_${ordersOid}$'`;
    expect(await db.query(bufferFunctions)).toEqual([{ n: 4 }]);
    await db.query(`SELECT pgtrickle.drop_stream_table('order_counts')`);
    expect(await triggersOn('orders')).toEqual([]);
    expect(await db.query(`SELECT to_regclass('pgtrickle_changes.changes_${ordersOid}') AS buffer`)).toEqual([{ buffer: null }]);
    expect(await db.query(`SELECT count(*)::int AS n FROM pg_proc WHERE proname LIKE 'pg_trickle_cdc_%_${ordersOid}'`)).toEqual([{ n: 0 }]);
    // The buffer's static window probe and cleanup functions go with it.
    expect(await db.query(bufferFunctions)).toEqual([{ n: 0 }]);
    expect(await db.query(`SELECT to_regclass('big_orders') AS t`)).toEqual([{ t: null }]);
  });

  it('create_stream_table_if_not_exists skips an existing one; create_or_replace replaces it', async () => {
    const q = 'SELECT customer_id, sum(amount) AS total FROM orders GROUP BY customer_id';
    await db.query(`SELECT pgtrickle.create_stream_table_if_not_exists('totals', $1, '1m', 'FULL')`, [q]);
    await db.query(`SELECT pgtrickle.create_stream_table_if_not_exists('totals', 'SELECT 1 AS other FROM orders', '1m', 'FULL')`);
    expect(await oracleDiff(db, 'totals', q)).toEqual({ extra: [], missing: [] });
    const q2 = 'SELECT customer_id, max(amount) AS biggest FROM orders GROUP BY customer_id';
    await db.query(`SELECT pgtrickle.create_or_replace_stream_table('totals', $1, '2m', 'FULL')`, [q2]);
    expect(await db.query(`SELECT schedule FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'totals'`)).toEqual([{ schedule: '2m' }]);
    expect(await oracleDiff(db, 'totals', q2)).toEqual({ extra: [], missing: [] });
  });

  it('alter changes schedule, tier and mode without losing rows, and a query change re-populates', async () => {
    await db.query(`SELECT pgtrickle.alter_stream_table('totals', schedule => '5m', tier => 'warm', refresh_mode => 'DIFFERENTIAL')`);
    expect(await db.query(`SELECT schedule, refresh_tier, refresh_mode FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'totals'`))
      .toEqual([{ schedule: '5m', refresh_tier: 'warm', refresh_mode: 'DIFFERENTIAL' }]);
    expect((await db.query(`SELECT count(*)::int AS n FROM totals`))[0]).toEqual({ n: 4 });
    const q3 = 'SELECT customer_id, min(amount) AS smallest FROM orders WHERE customer_id < 3 GROUP BY customer_id';
    await db.query(`SELECT pgtrickle.alter_stream_table('totals', query => $1)`, [q3]);
    expect(await oracleDiff(db, 'totals', q3)).toEqual({ extra: [], missing: [] });
    await db.query(`SELECT pgtrickle.alter_stream_table('totals', schedule => 'calculated')`);
    expect(await db.query(`SELECT schedule FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'totals'`)).toEqual([{ schedule: null }]);
  });

  it('suspend, refuse refresh while suspended, resume', async () => {
    await db.query(`SELECT pgtrickle.alter_stream_table('totals', status => 'SUSPENDED')`);
    await expect(db.query(`SELECT pgtrickle.refresh_stream_table('totals')`)).rejects.toThrow(
      /stream table public\.totals is suspended; use pgtrickle\.resume_stream_table\('public\.totals'\) first/,
    );
    await db.query(`SELECT pgtrickle.resume_stream_table('totals')`);
    await db.query(`SELECT pgtrickle.refresh_stream_table('totals')`);
    expect((await db.query(`SELECT status FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'totals'`))[0]).toEqual({ status: 'ACTIVE' });
  });

  it('hostile names: quotes, spaces, upper case, unicode and reserved words', async () => {
    await db.query(`CREATE SCHEMA "Odd Schema"`);
    await db.query(`CREATE TABLE "Odd Schema"."Order ""Lines""" ("select" int, "Größe" text, "MiXed" numeric)`);
    await db.query(`INSERT INTO "Odd Schema"."Order ""Lines""" VALUES (1, 'ä', 1.5), (2, 'ö', 2.5)`);
    const q = `SELECT "select", "Größe", "MiXed" FROM "Odd Schema"."Order ""Lines"""`;
    await db.query(`SELECT pgtrickle.create_stream_table($1, $2, '1m', 'FULL')`, ['"Odd Schema"."Sum ""of"" Größe"', q]);
    await db.query(`INSERT INTO "Odd Schema"."Order ""Lines""" VALUES (3, 'ü', 3.5)`);
    await db.query(`SELECT pgtrickle.refresh_stream_table('"Odd Schema"."Sum ""of"" Größe"')`);
    expect(await oracleDiff(db, '"Odd Schema"."Sum ""of"" Größe"', q)).toEqual({ extra: [], missing: [] });
    // the name as shown is the name to paste back
    expect(await db.query(`SELECT name FROM pgtrickle.pgt_status() WHERE name LIKE '"Odd%'`)).toEqual([{ name: '"Odd Schema"."Sum ""of"" Größe"' }]);
    await db.query(`SELECT pgtrickle.drop_stream_table('"Odd Schema"."Sum ""of"" Größe"')`);
  });

  it('dropping a stream table drops the stream tables that read it first', async () => {
    await db.query(`SELECT pgtrickle.create_stream_table('level1', 'SELECT id, amount FROM orders', '1m', 'FULL')`);
    await db.query(`SELECT pgtrickle.create_stream_table('level2', 'SELECT count(*) AS n FROM level1', '1m', 'FULL')`);
    await db.query(`SELECT pgtrickle.drop_stream_table('level1')`);
    expect(await db.query(`SELECT pgt_name FROM pgtrickle.pgt_stream_tables WHERE pgt_name LIKE 'level%'`)).toEqual([]);
    expect(await db.query(`SELECT to_regclass('level2') AS t`)).toEqual([{ t: null }]);
  });

  it('pgt_status and the status views report the stream tables', async () => {
    const status = await db.query(`SELECT name, status, refresh_mode, is_populated FROM pgtrickle.pgt_status() WHERE name = 'public.totals'`);
    expect(status).toEqual([{ name: 'public.totals', status: 'ACTIVE', refresh_mode: 'DIFFERENTIAL', is_populated: true }]);
    const info = await db.query(`SELECT pgt_name, is_topk, stale FROM pgtrickle.stream_tables_info WHERE pgt_name = 'totals'`);
    expect(info).toEqual([{ pgt_name: 'totals', is_topk: false, stale: null }]);
    const stat = await db.query<{ total_refreshes: string }>(`SELECT total_refreshes FROM pgtrickle.pg_stat_stream_tables WHERE pgt_name = 'totals'`);
    expect(Number(stat[0]!.total_refreshes)).toBeGreaterThan(0);
    expect((await db.query(`SELECT status FROM pgtrickle.quick_health`))[0]).toEqual({ status: 'OK' });
  });
});
