import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CompilerPool } from '../src/compile/pool.ts';
import { CompilerPools } from '../src/compile/pools.ts';
import type { CompileInput } from '../src/dvm/index.ts';

const input: CompileInput = {
  pgtId: 1,
  target: { schema: 'public', name: 't' },
  query: 'SELECT orders.id, orders.amount FROM public.orders WHERE orders.amount > 1',
  outputColumns: [{ name: 'id', type: 'integer' }, { name: 'amount', type: 'numeric' }],
  sources: [{ relid: 10, schema: 'public', name: 'orders', kind: 'TABLE', primaryKey: ['id'],
    columns: [{ name: 'id', type: 'integer', notNull: true }, { name: 'amount', type: 'numeric', notNull: false }] }],
  searchPath: ['public'],
  worstVolatility: 'i',
  mode: 'DIFFERENTIAL',
};

describe('compile pools', () => {
  const pools: CompilerPool[] = [];
  afterAll(async () => Promise.all(pools.map((p) => p.close())));

  it('a crashed worker thread is replaced and its task retried once', async () => {
    const pool = new CompilerPool({ worker: new URL('./helpers/crashing-worker.ts', import.meta.url).href });
    pools.push(pool);
    const marker = path.join(mkdtempSync(path.join(os.tmpdir(), 'pgtrickle-crash-')), 'marker');
    const outcome = await pool.compile({ ...input, marker } as CompileInput);
    expect(outcome.ok).toBe(true);
  });

  it('databases map to pools by a stable hash', async () => {
    const sharded = new CompilerPools({ pools: 4, threadsPerPool: 1 });
    try {
      const a = sharded.indexFor('db1.example:5432/sales');
      expect(sharded.indexFor('db1.example:5432/sales')).toBe(a);
      const spread = new Set(Array.from({ length: 40 }, (_, i) => sharded.indexFor(`host:5432/db${i}`)));
      expect(spread.size).toBe(4);
    } finally {
      await sharded.close();
    }
  });
});
