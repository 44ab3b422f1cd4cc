/**
 * API calls racing refreshes never deadlock (one lock order: an IMMEDIATE
 * table's sources, then the stream table's advisory lock, then its catalog
 * row, then its storage). pg_trickle's tutorial hit SQLSTATE 40P01 switching a
 * table to IMMEDIATE and back to DIFFERENTIAL while the scheduler refreshed
 * it and writers wrote: the writer held its source and waited for the
 * advisory lock, the ALTER held the advisory lock and waited for the source.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startCoordinator, type RunningCoordinator } from '../src/coordinator/coordinator.ts';
import { silentLogger } from '../src/log.ts';
import { freshDatabase, oracleDiff, type TestDatabase } from './helpers/db.ts';

const QUERY = 'SELECT customer_id, sum(amount) AS total, count(*) AS n FROM orders GROUP BY customer_id';

describe('lock order', () => {
  let db: TestDatabase;
  let coordinator: RunningCoordinator;
  beforeAll(async () => {
    db = await freshDatabase();
    await db.query(`CREATE TABLE orders (id int PRIMARY KEY, customer_id int, amount int)`);
    await db.query(`INSERT INTO orders SELECT g, g % 7, g FROM generate_series(1, 500) g`);
    await db.query(`SELECT pgtrickle.create_stream_table('totals', $1, '1s', 'DIFFERENTIAL')`, [QUERY]);
    coordinator = await startCoordinator(loadConfig({ database: [db.url], schedulerIntervalMs: 100 }, {}), silentLogger);
  });
  afterAll(async () => {
    await coordinator.stop();
    await db.drop();
  });

  it('alter in each mode direction, replace, suspend/resume, drop/create racing writers and the scheduler: no deadlock', async () => {
    const errors: string[] = [];
    let stop = false;
    const writer = async (client: pg.Client, base: number) => {
      for (let n = 0; !stop; n++) {
        try {
          await client.query('BEGIN');
          await client.query('INSERT INTO orders VALUES ($1, $2, $3)', [base + n, n % 7, n]);
          await client.query('UPDATE orders SET amount = amount + 1 WHERE id = $1', [(n % 500) + 1]);
          await client.query('COMMIT');
        } catch (raw) {
          errors.push(`writer: ${(raw as { code?: string }).code} ${(raw as Error).message}`);
          await client.query('ROLLBACK').catch(() => {});
        }
      }
    };
    const clients = [await db.connect(), await db.connect()];
    const writers = clients.map((c, i) => writer(c, 1_000_000 * (i + 1)));
    const api = await db.connect();
    const call = async (sql: string, params: unknown[] = []) => {
      try {
        await api.query(sql, params);
      } catch (raw) {
        errors.push(`${sql}: ${(raw as { code?: string }).code} ${(raw as Error).message}`);
      }
    };
    try {
      for (let round = 0; round < 4; round++) {
        for (const mode of ['IMMEDIATE', 'DIFFERENTIAL', 'IMMEDIATE', 'FULL', 'DIFFERENTIAL']) {
          await call(`SELECT pgtrickle.alter_stream_table('totals', refresh_mode => $1)`, [mode]);
        }
        await call(`SELECT pgtrickle.alter_stream_table('totals', refresh_mode => 'IMMEDIATE')`);
        await call(`SELECT pgtrickle.create_or_replace_stream_table('totals', $1, '1s', 'IMMEDIATE')`, [QUERY + ' HAVING count(*) > 0']);
        await call(`SELECT pgtrickle.refresh_stream_table('totals')`);
        await call(`SELECT pgtrickle.alter_stream_table('totals', status => 'suspended')`);
        await call(`SELECT pgtrickle.resume_stream_table('totals')`);
        await call(`SELECT pgtrickle.drop_stream_table('totals')`);
        await call(`SELECT pgtrickle.create_stream_table('totals', $1, '1s', 'DIFFERENTIAL')`, [QUERY]);
      }
    } finally {
      stop = true;
      await Promise.all(writers);
    }
    expect(errors).toEqual([]);
    await db.query(`SELECT pgtrickle.refresh_stream_table('totals')`);
    expect(await oracleDiff(db, 'totals', QUERY)).toEqual({ extra: [], missing: [] });
  });
});
