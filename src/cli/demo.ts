/**
 * `pgtrickle demo`: sample tables, a stream table over a join + aggregate, a few
 * rounds of changes, and the stream table following them — driven by an
 * in-process coordinator, exactly as `pgtrickle start` would drive it.
 */
import type pg from 'pg';
import { createStreamTable, dropStreamTable, findStreamTable, openConnection, refreshHistory, startCoordinator, type Config, type Logger } from '../index.ts';
import { renderTable } from './format.ts';

const DEMO_STREAM_TABLE = 'demo_region_totals';

const DEMO_QUERY = `SELECT c.region, count(*) AS orders, sum(o.amount) AS revenue
  FROM demo_orders o JOIN demo_customers c ON c.id = o.customer_id
 GROUP BY c.region`;

async function equalsQuery(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ diff: string }>(`
    SELECT count(*) AS diff FROM (
      (SELECT region, orders, revenue FROM demo_region_totals EXCEPT ALL (${DEMO_QUERY}))
      UNION ALL
      ((${DEMO_QUERY}) EXCEPT ALL SELECT region, orders, revenue FROM demo_region_totals)) d`);
  return Number(rows[0]!.diff) === 0;
}

export async function runDemo(config: Config, log: Logger, out: (line: string) => void): Promise<void> {
  const coordinator = await startCoordinator(config, log);
  const url = coordinator.databaseUrls[0]!;
  const client = await openConnection(url, 'pgtrickle demo');
  try {
    out(`Demo database: ${url.replace(/:[^:@/]*@/, ':***@')}`);
    if (await findStreamTable(client, DEMO_STREAM_TABLE)) await dropStreamTable(client, DEMO_STREAM_TABLE);
    // The demo's own data, written as any user of the database would.
    await client.query(`
      DROP TABLE IF EXISTS demo_orders, demo_customers;
      CREATE TABLE demo_customers (id int PRIMARY KEY, name text NOT NULL, region text NOT NULL);
      CREATE TABLE demo_orders (id serial PRIMARY KEY, customer_id int NOT NULL, amount numeric(12,2) NOT NULL);
      INSERT INTO demo_customers SELECT g, 'customer ' || g, (ARRAY['north','south','east','west'])[1 + g % 4]
        FROM generate_series(1, 100) g;
      INSERT INTO demo_orders (customer_id, amount) SELECT 1 + g % 100, (g % 97) + 0.5 FROM generate_series(1, 5000) g;`);
    out('Created demo_customers (100 rows) and demo_orders (5000 rows).');
    await createStreamTable(client, { name: DEMO_STREAM_TABLE, query: DEMO_QUERY, schedule: '1s' });
    out(`Created stream table demo_region_totals (schedule 1s):\n  ${DEMO_QUERY.replaceAll('\n', '\n  ')}`);
    await show(client, out);

    const rounds: [string, string][] = [
      ['insert 200 orders of customer 1', `INSERT INTO demo_orders (customer_id, amount) SELECT 1, 10 FROM generate_series(1, 200)`],
      ['move customer 2 to region "north"', `UPDATE demo_customers SET region = 'north' WHERE id = 2`],
      ['delete every order of customers 3 to 10', `DELETE FROM demo_orders WHERE customer_id BETWEEN 3 AND 10`],
    ];
    for (const [what, sql] of rounds) {
      await client.query(sql);
      const started = Date.now();
      out(`\nChange: ${what}`);
      while (!(await equalsQuery(client))) {
        if (Date.now() - started > 15_000) throw new Error('the stream table did not follow the change within 15 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      out(`The stream table followed in ${((Date.now() - started) / 1000).toFixed(1)} s:`);
      await show(client, out);
    }
    const history = (await refreshHistory(client, DEMO_STREAM_TABLE, 1000)).reverse(); // oldest first
    out('\nRefresh history (pgtrickle.pgt_refresh_history):');
    out(
      renderTable(history, [
        { label: 'Action', value: (r) => r.action },
        { label: 'By', value: (r) => r.initiated_by },
        { label: 'Inserted', value: (r) => r.rows_inserted },
        { label: 'Deleted', value: (r) => r.rows_deleted },
        { label: 'Changes read', value: (r) => r.delta_row_count },
      ]),
    );
    out('\nDemo finished. The tables are still there: run `npm start` and query demo_region_totals with psql.');
  } finally {
    await client.end();
    await coordinator.stop();
  }
}

async function show(client: pg.Client, out: (line: string) => void): Promise<void> {
  const { rows } = await client.query('SELECT region, orders, revenue FROM demo_region_totals ORDER BY region');
  out(
    renderTable(rows, [
      { label: 'region', value: (r) => r.region },
      { label: 'orders', value: (r) => r.orders },
      { label: 'revenue', value: (r) => r.revenue },
    ]),
  );
}
