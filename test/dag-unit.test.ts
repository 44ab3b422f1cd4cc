import { describe, expect, it } from 'vitest';
import { atomicGroups, topologicalWaves, type DagNode } from '../src/coordinator/dag.ts';

// Relations: 100 = orders (base), 200 = customers (base); stream table n has storage relid n*1000.
const st = (id: number, sources: number[], consistency = 'atomic'): DagNode => ({
  pgt_id: String(id),
  relid: String(id * 1000),
  sources: sources.map(String),
  upstream: sources.filter((s) => s >= 1000).map((s) => String(s / 1000)),
  diamond_consistency: consistency,
});

describe('the scheduler DAG', () => {
  it('orders waves upstream first', () => {
    const nodes = [st(3, [2000]), st(1, [100]), st(2, [1000])];
    expect(topologicalWaves(nodes).map((w) => w.map((n) => n.pgt_id))).toEqual([['1'], ['2'], ['3']]);
  });

  it('finds a diamond over a stream table and groups everything upstream of the convergence point', () => {
    // 1 reads orders; 2 and 3 read 1; 4 joins 2 and 3.
    const groups = atomicGroups([st(1, [100]), st(2, [1000]), st(3, [1000]), st(4, [2000, 3000])]);
    expect([...groups.entries()]).toEqual([['4', ['1', '2', '3', '4']]]);
  });

  it('a diamond whose shared ancestor is a base table counts too', () => {
    // 2 and 3 both read orders directly; 4 joins them.
    const groups = atomicGroups([st(2, [100]), st(3, [100, 200]), st(4, [2000, 3000])]);
    expect(groups.get('4')).toEqual(['2', '3', '4']);
  });

  it('a consumer reading a stream table and that table\'s own source converges', () => {
    // 2 reads orders; 3 reads 2 and orders.
    expect(atomicGroups([st(2, [100]), st(3, [2000, 100])]).get('3')).toEqual(['2', '3']);
  });

  it('chains, independent branches and diamond_consistency = none are not groups', () => {
    expect(atomicGroups([st(1, [100]), st(2, [1000]), st(3, [2000])]).size).toBe(0);
    expect(atomicGroups([st(1, [100]), st(2, [200]), st(3, [1000, 2000])]).size).toBe(0);
    expect(atomicGroups([st(1, [100]), st(2, [1000]), st(3, [1000]), st(4, [2000, 3000], 'none')]).size).toBe(0);
  });
});
