/**
 * The dependency graph as the scheduler sees it: stream tables (by pgt_id) and
 * the relations they read (by OID; a stream table is also a relation, its
 * storage). Pure functions, unit-tested in test/dag-unit.test.ts.
 */

export interface DagNode {
  pgt_id: string;
  /** OID of the stream table's storage */
  relid: string;
  /** OIDs of every relation the defining query reads */
  sources: string[];
  /** pgt_ids of the stream tables among `sources` */
  upstream: string[];
  diamond_consistency: string;
}

/** Groups stream tables into waves so every upstream refreshes before its consumers. */
export function topologicalWaves<T extends { pgt_id: string; upstream: string[] }>(items: T[]): T[][] {
  const byId = new Map(items.map((i) => [i.pgt_id, i]));
  const level = new Map<string, number>();
  const visit = (id: string, seen: Set<string>): number => {
    const known = level.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0; // a cycle is rejected at creation; never loop here
    seen.add(id);
    const item = byId.get(id);
    const l = item ? Math.max(0, ...item.upstream.filter((u) => byId.has(u)).map((u) => visit(u, seen) + 1)) : 0;
    level.set(id, l);
    return l;
  };
  const waves: T[][] = [];
  for (const item of items) {
    const l = visit(item.pgt_id, new Set());
    (waves[l] ??= []).push(item);
  }
  return waves.filter(Boolean);
}

/**
 * Diamonds: a stream table D is a convergence point when two of the relations
 * it reads share an ancestor (a base table or a stream table) and at least one
 * of them is a stream table — e.g. D = B ⋈ C with B and C both reading A.
 * Refreshed one after the other, B and C would consume A's changes up to
 * different moments and D would join a newer B with an older C. With
 * diamond_consistency = 'atomic', D is refreshed together with every stream
 * table upstream of it in one REPEATABLE READ transaction: one snapshot for
 * all of them. Returns, per convergence point, the group in refresh order
 * (upstream first, D last).
 */
export function atomicGroups(nodes: DagNode[]): Map<string, string[]> {
  const byRelid = new Map(nodes.map((n) => [n.relid, n]));
  const byId = new Map(nodes.map((n) => [n.pgt_id, n]));
  const ancestorCache = new Map<string, Set<string>>();
  // Every relation a relation depends on, itself included.
  const lineage = (relid: string, seen = new Set<string>()): Set<string> => {
    const cached = ancestorCache.get(relid);
    if (cached) return cached;
    const result = new Set<string>([relid]);
    const node = byRelid.get(relid);
    if (node && !seen.has(relid)) {
      seen.add(relid);
      for (const s of node.sources) for (const a of lineage(s, seen)) result.add(a);
    }
    ancestorCache.set(relid, result);
    return result;
  };
  const groups = new Map<string, string[]>();
  for (const node of nodes) {
    if (node.diamond_consistency !== 'atomic' || node.upstream.length === 0) continue;
    const lines = node.sources.map((s) => lineage(s));
    let converges = false;
    for (let i = 0; i < lines.length && !converges; i++) {
      for (let j = i + 1; j < lines.length && !converges; j++) {
        const stInvolved = byRelid.has(node.sources[i]!) || byRelid.has(node.sources[j]!);
        converges = stInvolved && [...lines[i]!].some((r) => lines[j]!.has(r));
      }
    }
    if (!converges) continue;
    const members = new Set<string>();
    const collect = (id: string): void => {
      for (const up of byId.get(id)?.upstream ?? []) {
        if (!members.has(up)) {
          members.add(up);
          collect(up);
        }
      }
    };
    collect(node.pgt_id);
    const ordered = topologicalWaves([...members].map((id) => byId.get(id)!).filter(Boolean)).flat().map((n) => n.pgt_id);
    groups.set(node.pgt_id, [...ordered, node.pgt_id]);
  }
  return groups;
}
