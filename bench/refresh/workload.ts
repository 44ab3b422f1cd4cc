/**
 * The refresh benchmark's workload: two source tables, four defining queries,
 * the initial load and the change batches (70% UPDATE, 15% DELETE, 15% INSERT
 * of `ratio` × rows, per source, in one transaction).
 *
 * `orders` has `size` rows, `customers` size / 10 (a fact table and its
 * dimension). `orders.customer_id` is indexed, as a foreign key column would
 * be, so a change on the customer side of a join is an index probe.
 */
import type pg from 'pg';

export interface BenchQuery {
  /** short name used in stream table / matview names */
  key: string;
  label: string;
  sql: string;
}

export const QUERIES: readonly BenchQuery[] = [
  {
    key: 'filter',
    label: 'filter/project',
    sql: `SELECT id, customer_id, amount, qty * 2 AS double_qty FROM orders WHERE status <> 'cancelled' AND amount >= 100`,
  },
  {
    key: 'join',
    label: '2-way join',
    sql: `SELECT o.id, o.amount, c.region, c.tier FROM orders o JOIN customers c ON c.id = o.customer_id`,
  },
  {
    key: 'agg',
    label: 'GROUP BY aggregate',
    sql: `SELECT customer_id, count(*) AS n, sum(amount) AS total, avg(amount) AS average FROM orders GROUP BY customer_id`,
  },
  {
    key: 'join_agg',
    label: 'join + aggregate',
    sql: `SELECT c.region, count(*) AS n, sum(o.amount) AS total, avg(o.amount) AS average
  FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY c.region`,
  },
];

const REGIONS = 40;
const LOAD_CHUNK = 100_000;

export interface SourceState {
  table: 'orders' | 'customers';
  /** live rows (kept by counting what each batch did) */
  rows: number;
  /** largest id ever used: inserts continue above it, picks draw below it */
  maxId: number;
}

export interface Sources {
  orders: SourceState;
  customers: SourceState;
}

export async function createAndLoad(
  client: pg.ClientBase,
  size: number,
  progress: (message: string) => void,
): Promise<Sources> {
  const customerCount = Math.max(10, Math.round(size / 10));
  await client.query(`SELECT setseed(0.4242)`);
  await client.query(`CREATE TABLE customers (id int NOT NULL, region text NOT NULL, tier int NOT NULL, name text NOT NULL)`);
  await client.query(`CREATE TABLE orders (id bigint NOT NULL, customer_id int NOT NULL, amount numeric(12,2) NOT NULL,
    qty int NOT NULL, status text NOT NULL)`);
  const load = async (table: string, total: number, insert: (from: number, to: number) => string) => {
    const started = performance.now();
    for (let from = 1; from <= total; from += LOAD_CHUNK) {
      const to = Math.min(total, from + LOAD_CHUNK - 1);
      await client.query(insert(from, to));
      progress(`  loading ${table}: ${to.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} rows`
        + ` (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    }
  };
  await load('customers', customerCount, (from, to) =>
    `INSERT INTO customers SELECT g, 'region_' || lpad((g % ${REGIONS})::text, 2, '0'), g % 5, 'customer ' || g
       FROM generate_series(${from}, ${to}) g`);
  await load('orders', size, (from, to) =>
    `INSERT INTO orders SELECT g, 1 + floor(random() * ${customerCount})::int, round((random() * 1000)::numeric, 2),
            1 + floor(random() * 10)::int, (ARRAY['open', 'shipped', 'cancelled'])[1 + floor(random() * 3)::int]
       FROM generate_series(${from}, ${to}) g`);
  let started = performance.now();
  await client.query(`ALTER TABLE customers ADD PRIMARY KEY (id)`);
  await client.query(`ALTER TABLE orders ADD PRIMARY KEY (id)`);
  await client.query(`CREATE INDEX orders_customer_id_idx ON orders (customer_id)`);
  progress(`  primary keys and orders(customer_id) index: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  // Explicit: the planner must see the loaded sizes before any plan is made,
  // and reltuples is the denominator of the executor's change ratio.
  started = performance.now();
  await client.query(`ANALYZE customers`);
  await client.query(`ANALYZE orders`);
  progress(`  ANALYZE customers, orders: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return {
    orders: { table: 'orders', rows: size, maxId: size },
    customers: { table: 'customers', rows: customerCount, maxId: customerCount },
  };
}

export interface BatchCounts {
  updated: number;
  deleted: number;
  inserted: number;
}

/** How many rows of a source a batch at `ratio` changes: at least one. */
export function batchSize(rows: number, ratio: number): { updates: number; deletes: number; inserts: number } {
  const total = Math.max(1, Math.round(rows * ratio));
  const updates = Math.round(total * 0.7);
  const deletes = Math.round(total * 0.15);
  return { updates, deletes, inserts: total - updates - deletes };
}

const UPDATE_SET: Record<SourceState['table'], (customers: SourceState) => string> = {
  // A third of the updated orders move to another customer (another group, another join partner).
  orders: (customers) => `amount = round((random() * 1000)::numeric, 2),
       status = (ARRAY['open', 'shipped', 'cancelled'])[1 + floor(random() * 3)::int],
       customer_id = CASE WHEN random() < 0.3 THEN 1 + floor(random() * ${customers.maxId})::int ELSE t.customer_id END`,
  // Region changes move every order of the customer to another join + aggregate group.
  customers: () => `region = 'region_' || lpad(floor(random() * ${REGIONS})::int::text, 2, '0'), tier = floor(random() * 5)::int`,
};

const INSERT_SELECT: Record<SourceState['table'], (from: number, to: number, customers: SourceState) => string> = {
  orders: (from, to, customers) =>
    `INSERT INTO orders SELECT g, 1 + floor(random() * ${customers.maxId})::int, round((random() * 1000)::numeric, 2),
            1 + floor(random() * 10)::int, (ARRAY['open', 'shipped', 'cancelled'])[1 + floor(random() * 3)::int]
       FROM generate_series(${from}, ${to}) g`,
  customers: (from, to) =>
    `INSERT INTO customers SELECT g, 'region_' || lpad((g % ${REGIONS})::text, 2, '0'), g % 5, 'customer ' || g
       FROM generate_series(${from}, ${to}) g`,
};

/** Changes one source inside the caller's transaction: distinct existing rows are updated or deleted. */
async function changeSource(client: pg.ClientBase, source: SourceState, customers: SourceState, ratio: number): Promise<BatchCounts> {
  const { updates, deletes, inserts } = batchSize(source.rows, ratio);
  const need = updates + deletes;
  const pick = `bench_pick_${source.table}`;
  // Draw twice as many ids as needed from [1, maxId] (ids stay dense: each
  // batch deletes 15% of its size) and keep `need` that exist.
  await client.query(`CREATE TEMP TABLE ${pick} ON COMMIT DROP AS
    SELECT t.id, row_number() OVER () AS rn
      FROM (SELECT DISTINCT (1 + floor(random() * ${source.maxId}))::bigint AS id FROM generate_series(1, ${need * 2 + 20})) p
      JOIN ${source.table} t ON t.id = p.id
     LIMIT ${need}`);
  const updated = await client.query(`UPDATE ${source.table} t SET ${UPDATE_SET[source.table](customers)}
      FROM ${pick} p WHERE t.id = p.id AND p.rn <= ${updates}`);
  const deleted = await client.query(`DELETE FROM ${source.table} t USING ${pick} p WHERE t.id = p.id AND p.rn > ${updates}`);
  let inserted = 0;
  if (inserts > 0) {
    inserted = (await client.query(INSERT_SELECT[source.table](source.maxId + 1, source.maxId + inserts, customers))).rowCount ?? 0;
  }
  source.maxId += inserts;
  source.rows += inserted - (deleted.rowCount ?? 0);
  return { updated: updated.rowCount ?? 0, deleted: deleted.rowCount ?? 0, inserted };
}

/** One batch on both sources, committed as one transaction. */
export async function applyBatch(client: pg.ClientBase, sources: Sources, ratio: number): Promise<{ orders: BatchCounts; customers: BatchCounts }> {
  await client.query('BEGIN');
  try {
    const orders = await changeSource(client, sources.orders, sources.customers, ratio);
    const customers = await changeSource(client, sources.customers, sources.customers, ratio);
    await client.query('COMMIT');
    return { orders, customers };
  } catch (raw) {
    await client.query('ROLLBACK').catch(() => {});
    throw raw;
  }
}
