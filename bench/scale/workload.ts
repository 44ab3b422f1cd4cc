/**
 * The scale benchmark's workload, per database: `customers` (100 rows, 8
 * regions) and `orders` (`rows` rows), M stream tables on 1 s schedules over
 * them (four shapes rotating: aggregate, filter, join + aggregate, join, each
 * with its own constant so no two are the same query), and a light writer:
 * every `intervalMs` one transaction that inserts one order, updates one and
 * deletes the oldest (3 changed rows; the table keeps its size).
 */
import pg from 'pg';
import { createStreamTable } from '../../src/api.ts';
import type { CompilerPool } from '../../src/compile/pool.ts';

export const CUSTOMERS = 100;
const REGIONS = 8;

export interface ScaleQuery {
  name: string;
  shape: string;
  sql: string;
}

/** The M defining queries of every database. */
export function queries(m: number): ScaleQuery[] {
  return Array.from({ length: m }, (_, j) => {
    const name = `st_${j}`;
    const k = Math.floor(j / 4);
    switch (j % 4) {
      case 0:
        return { name, shape: 'aggregate', sql: `SELECT customer_id, count(*) AS n, sum(amount) AS total FROM orders WHERE qty > ${k} GROUP BY customer_id` };
      case 1:
        return { name, shape: 'filter', sql: `SELECT id, customer_id, amount FROM orders WHERE amount >= ${50 + 10 * k}` };
      case 2:
        return {
          name, shape: 'join + aggregate',
          sql: `SELECT c.region, count(*) AS n, sum(o.amount) AS total FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.qty > ${k} GROUP BY c.region`,
        };
      default:
        return { name, shape: 'join', sql: `SELECT o.id, o.amount, c.region FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.amount < ${20 + 10 * k}` };
    }
  });
}

/** Tables, data and the stream tables (compiled in `compiler`, populated under the compiled plan). */
export async function setUpDatabase(url: string, rows: number, m: number, compiler: CompilerPool): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: 'pgtrickle-scale-setup' });
  await client.connect();
  try {
    await client.query(`
      CREATE TABLE customers (id int PRIMARY KEY, region text NOT NULL, name text NOT NULL);
      INSERT INTO customers SELECT g, 'region_' || (g % ${REGIONS}), 'customer ' || g FROM generate_series(1, ${CUSTOMERS}) g;
      CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int NOT NULL, amount numeric(10,2) NOT NULL, qty int NOT NULL);
      CREATE INDEX ON orders (customer_id);
      INSERT INTO orders (customer_id, amount, qty)
        SELECT 1 + g % ${CUSTOMERS}, (g * 37 % 10000) / 100.0, g % 7 FROM generate_series(1, ${rows}) g;
      ANALYZE customers; ANALYZE orders;`);
    for (const q of queries(m)) {
      const result = await createStreamTable(client, { name: q.name, query: q.sql, schedule: '1s', refreshMode: 'DIFFERENTIAL' }, compiler);
      if (result.plan !== 'installed') throw new Error(`${url}: ${q.name} (${q.shape}) got plan ${result.plan}, expected a compiled DIFFERENTIAL plan`);
    }
  } finally {
    await client.end();
  }
}

/**
 * One persistent connection per database; `tick()` runs one transaction on
 * each (concurrently). Ids: orders 1..rows exist at start, inserts go above,
 * the oldest live id is deleted, an id in the live range is updated.
 */
export class Writers {
  private clients: pg.Client[] = [];
  private oldest: number[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<unknown> | null = null;
  private round = 0;
  transactions = 0;
  failures = 0;
  lastError = '';

  constructor(private readonly urls: string[], private readonly rows: number, private readonly intervalMs: number) {}

  async connect(): Promise<void> {
    for (const url of this.urls) {
      const client = new pg.Client({ connectionString: url, application_name: 'pgtrickle-scale-dml' });
      client.on('error', () => {});
      await client.connect();
      const { rows } = await client.query<{ min: string | null }>('SELECT min(id)::text AS min FROM orders');
      this.clients.push(client);
      this.oldest.push(Number(rows[0]?.min ?? 1));
    }
  }

  private tick(): Promise<unknown> {
    this.round += 1;
    const r = this.round;
    return Promise.all(this.clients.map(async (client, i) => {
      const victim = this.oldest[i]!;
      const updated = victim + 1 + ((r * 7919 + i * 104729) % (this.rows - 2));
      try {
        await client.query(`BEGIN;
          INSERT INTO orders (customer_id, amount, qty) VALUES (${1 + ((r * 31 + i) % CUSTOMERS)}, ${((r * 53 + i * 17) % 10000) / 100}, ${(r + i) % 7});
          UPDATE orders SET amount = amount + 1.5, qty = (qty + 1) % 7, customer_id = 1 + (customer_id + ${r}) % ${CUSTOMERS} WHERE id = ${updated};
          DELETE FROM orders WHERE id = ${victim};
          COMMIT`);
        this.oldest[i] = victim + 1;
        this.transactions += 1;
      } catch (raw) {
        await client.query('ROLLBACK').catch(() => {});
        this.failures += 1;
        this.lastError = (raw as Error).message;
      }
    }));
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.inFlight) return; // the server is behind: skip a round rather than queue
      this.inFlight = this.tick().finally(() => (this.inFlight = null));
    }, this.intervalMs);
  }

  /** Stops writing; resolves when the last transaction has committed. */
  async pause(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.inFlight;
  }

  async close(): Promise<void> {
    await this.pause();
    await Promise.allSettled(this.clients.map((c) => c.end()));
  }
}

/** The oracle for one stream table: (st EXCEPT ALL q) and (q EXCEPT ALL st) both empty, hidden columns excluded. */
export async function differences(client: pg.ClientBase, streamTable: string, query: string): Promise<{ extra: number; missing: number }> {
  const cols = await client.query<{ col: string }>(
    `SELECT quote_ident(attname) AS col FROM pg_attribute
      WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attname NOT LIKE '\\_\\_pgt\\_%' ORDER BY attnum`,
    [streamTable]);
  const list = cols.rows.map((c) => c.col).join(', ');
  const { rows } = await client.query<{ extra: string; missing: string }>(
    `SELECT (SELECT count(*) FROM (SELECT ${list} FROM ${streamTable} EXCEPT ALL (${query})) x) AS extra,
            (SELECT count(*) FROM ((${query}) EXCEPT ALL SELECT ${list} FROM ${streamTable}) y) AS missing`);
  return { extra: Number(rows[0]!.extra), missing: Number(rows[0]!.missing) };
}
