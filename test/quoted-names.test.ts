/**
 * A stream table's name as pgtrickle shows it (pgt_status, explain_st,
 * dependency_tree, alerts, error messages, the library) is the pasteable
 * quoted form `format('%I.%I', schema, name)`: pasted back into any API call,
 * it names the same stream table — upper case, spaces and quotes included.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as api from '../src/index.ts';
import { freshDatabase, type TestDatabase } from './helpers/db.ts';

describe('display names round-trip', () => {
  let db: TestDatabase;
  let client: pg.Client;
  const shown = '"Sales Data"."Order ""Totals"""';

  beforeAll(async () => {
    db = await freshDatabase();
    client = await db.connect();
    await client.query(`CREATE SCHEMA "Sales Data"`);
    await client.query(`CREATE TABLE "Sales Data"."Orders" (id int PRIMARY KEY, customer_id int, amount numeric)`);
    await client.query(`INSERT INTO "Sales Data"."Orders" SELECT g, g % 3, g FROM generate_series(1, 9) g`);
    await client.query(`SELECT pgtrickle.create_stream_table($1, 'SELECT customer_id, sum(amount) AS total FROM "Sales Data"."Orders" GROUP BY customer_id', '1m', 'FULL')`, [shown]);
  });
  afterAll(async () => db.drop());

  it('pgt_status shows the quoted name, and it works in every API call', async () => {
    const [row] = (await client.query<{ name: string }>(`SELECT name FROM pgtrickle.pgt_status()`)).rows;
    expect(row!.name).toBe(shown);
    await client.query(`INSERT INTO "Sales Data"."Orders" VALUES (100, 7, 700)`);
    await client.query(`SELECT pgtrickle.refresh_stream_table($1)`, [row!.name]);
    expect((await client.query(`SELECT total FROM "Sales Data"."Order ""Totals""" WHERE customer_id = 7`)).rows).toEqual([{ total: '700' }]);
    await client.query(`SELECT pgtrickle.alter_stream_table($1, schedule => '5m')`, [row!.name]);
    const explain = (await client.query<{ value: string }>(`SELECT value FROM pgtrickle.explain_st($1) WHERE property = 'pgt_name'`, [row!.name])).rows;
    expect(explain).toEqual([{ value: shown }]);
  });

  it('dependency_tree, errors and alerts show the same name', async () => {
    const tree = (await client.query<{ node: string; node_type: string }>(`SELECT node, node_type FROM pgtrickle.dependency_tree()`)).rows;
    expect(tree).toContainEqual({ node: shown, node_type: 'stream_table' });
    expect(tree).toContainEqual({ node: '"Sales Data"."Orders"', node_type: 'source_table' });

    await expect(client.query(`SELECT pgtrickle.create_stream_table($1, 'SELECT id FROM "Sales Data"."Orders"')`, [shown]))
      .rejects.toThrow(`stream table already exists: ${shown}`);
    await expect(client.query(`SELECT pgtrickle.refresh_stream_table('"Sales Data"."order ""totals"""')`))
      .rejects.toThrow('stream table not found: "Sales Data"."order ""totals"""');

    const listener = await db.connect();
    const alerts: string[] = [];
    listener.on('notification', (m) => alerts.push(JSON.parse(m.payload!).st));
    await listener.query('LISTEN pg_trickle_alert');
    await client.query(`SELECT pgtrickle.alter_stream_table($1, status => 'SUSPENDED')`, [shown]);
    await client.query(`SELECT pgtrickle.resume_stream_table($1)`, [shown]);
    await expect.poll(() => alerts).toContain(shown);
  });

  it('the library reports the same name and accepts it back', async () => {
    const status = await api.streamTableStatus(client, shown);
    expect(status).toMatchObject({ qualified_name: shown, schema: 'Sales Data', name: 'Order "Totals"' });
    expect(await api.findStreamTable(client, status.qualified_name)).toMatchObject({ name: 'Order "Totals"' });
    await client.query(`INSERT INTO "Sales Data"."Orders" VALUES (101, 8, 1)`);
    expect(await api.refreshAllStreamTables(client)).toEqual([{ name: shown, action: 'FULL' }]);
    expect(await api.refreshStreamTable(client, status.qualified_name)).toBe('NO_DATA');
    await api.dropStreamTable(client, status.qualified_name);
    expect(await api.findStreamTable(client, shown)).toBeNull();
  });
});

describe('refreshAllStreamTables', () => {
  let db: TestDatabase;
  let client: pg.Client;
  beforeAll(async () => {
    db = await freshDatabase();
    client = await db.connect();
  });
  afterAll(async () => db.drop());

  it('refreshes upstream first, whatever the order of creation', async () => {
    await client.query(`CREATE TABLE src (id int PRIMARY KEY, v int)`);
    await client.query(`INSERT INTO src VALUES (1, 10)`);
    // "downstream" is created first and made to read "upstream" afterwards: pgt_id order is the wrong order.
    await api.createStreamTable(client, { name: 'downstream', query: 'SELECT id, v FROM src', refreshMode: 'FULL', schedule: '1m' });
    await api.createStreamTable(client, { name: 'upstream', query: 'SELECT id, v * 2 AS v FROM src', refreshMode: 'FULL', schedule: '1m' });
    await api.alterStreamTable(client, 'downstream', { query: 'SELECT id, v FROM upstream' });
    await api.createStreamTable(client, { name: 'paused', query: 'SELECT id FROM src', refreshMode: 'FULL', schedule: '1m' });
    await api.alterStreamTable(client, 'paused', { status: 'SUSPENDED' });
    await client.query(`UPDATE src SET v = 11`);
    expect(await api.refreshAllStreamTables(client)).toEqual([
      { name: 'public.upstream', action: 'FULL' },
      { name: 'public.downstream', action: 'FULL' },
    ]);
    expect((await client.query(`SELECT v FROM downstream`)).rows).toEqual([{ v: 22 }]);
  });
});
