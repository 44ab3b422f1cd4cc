/**
 * Concurrent writers: each runs random INSERT/UPDATE/DELETE transactions on
 * `orders(id, customer_id, amount)` until stopped, sometimes rolling back.
 */
import type pg from 'pg';

export interface WriterStats {
  committed: number;
  rolledBack: number;
}

export function startWriters(clients: pg.Client[], options: { idBase?: number; customers?: number } = {}) {
  let stopped = false;
  const stats: WriterStats = { committed: 0, rolledBack: 0 };
  const customers = options.customers ?? 20;
  const loops = clients.map(async (client, w) => {
    let n = 0;
    while (!stopped) {
      n += 1;
      const id = (options.idBase ?? 1_000_000) + w * 1_000_000 + n;
      await client.query('BEGIN');
      try {
        const r = Math.random();
        if (r < 0.5) {
          await client.query('INSERT INTO orders (id, customer_id, amount) VALUES ($1, $2, $3)', [id, n % customers, (n % 97) + 1]);
        } else if (r < 0.8) {
          await client.query('UPDATE orders SET amount = amount + 1, customer_id = (customer_id + 1) % $2 WHERE id = (SELECT id FROM orders ORDER BY random() LIMIT 1) AND $1 > 0', [n, customers]);
        } else {
          await client.query('DELETE FROM orders WHERE id = (SELECT id FROM orders ORDER BY random() LIMIT 1)');
        }
        if (Math.random() < 0.1) {
          await client.query('ROLLBACK');
          stats.rolledBack += 1;
        } else {
          await client.query('COMMIT');
          stats.committed += 1;
        }
      } catch {
        await client.query('ROLLBACK').catch(() => {});
      }
    }
  });
  return {
    stats,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}
