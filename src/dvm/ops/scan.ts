/**
 * Scan: a source table (or upstream stream table).
 *
 * Current state: the table itself. Delta: the source's change buffer rows in
 * this stream table's change window, each change decomposed into weighted
 * images — I = +1·new, D = −1·old, U = −1·old +1·new; 'T' (TRUNCATE) rows are
 * skipped because the executor answers them with a FULL refresh. Summing
 * weights over the window is exactly the net change, so several changes to one
 * key need no "net effect" pass: opposite images cancel further up.
 */
import { changeWindowPredicate } from '../../refresh/statements.ts';
import { CHANGE_SCHEMA, changeBufferName, ident, newImageColumn, oldImageColumn, qualified } from '../../sql/ident.ts';
import type { Col, ScanColumn, ScanNode } from '../ir.ts';
import type { CompileSource } from '../types.ts';
import { WEIGHT, op } from '../emit/sql.ts';
import type { OpRules } from './rules.ts';

export function makeScan(source: CompileSource, alias: string, visible: readonly ScanColumn[], keyColumns: readonly ScanColumn[] | null): ScanNode {
  const scanned = [...visible];
  for (const k of keyColumns ?? []) if (!scanned.some((s) => s.col.id === k.col.id)) scanned.push(k);
  return {
    kind: 'Scan',
    source,
    alias,
    scanned,
    columns: visible.map((s) => s.col),
    key: keyColumns ? keyColumns.map((k) => k.col) : null,
  };
}

function image(node: ScanNode, side: 'new' | 'old', weight: number, actions: readonly string[], ctxPgtId: number): string {
  const cols = node.scanned.map(
    (s) => `c.${ident(side === 'new' ? newImageColumn(s.source) : oldImageColumn(s.source))} AS ${ident(s.col.id)}`,
  );
  cols.push(`(${weight})::bigint AS ${WEIGHT}`);
  const buffer = qualified(CHANGE_SCHEMA, changeBufferName(node.source.relid));
  const actionTest = actions.map((a) => `c.action ${op('=')} '${a}'`).join(' OR ');
  return `SELECT ${cols.join(', ')}
  FROM ${buffer} AS c
 WHERE ${changeWindowPredicate(ctxPgtId, node.source.relid, 'c')}
   AND (${actionTest})`;
}

export const scanRules: OpRules<'Scan'> = {
  children: () => [],
  describe: (n) => {
    const key = n.key ? `key(${n.key.map((c) => c.name).join(', ')})` : 'keyless';
    return `Scan ${qualified(n.source.schema, n.source.name)} AS ${ident(n.alias)} [${n.columns.map((c) => c.name).join(', ')}] ${key}`;
  },
  prune: (n, need) => {
    const keep = n.scanned.filter((s) => need.has(s.col.id) && n.columns.some((c: Col) => c.id === s.col.id));
    const key = n.key ? n.scanned.filter((s) => n.key!.some((k) => k.id === s.col.id)) : null;
    return makeScan(n.source, n.alias, keep, key);
  },
  mapChildren: (n) => n,
  current: (n) => {
    const cols = n.scanned.map((s) => `t.${ident(s.source)} AS ${ident(s.col.id)}`);
    return `SELECT ${cols.join(', ')} FROM ${qualified(n.source.schema, n.source.name)} AS t`;
  },
  delta: (n, ctx) =>
    `${image(n, 'new', 1, ['I', 'U'], ctx.input.pgtId)}\nUNION ALL\n${image(n, 'old', -1, ['D', 'U'], ctx.input.pgtId)}`,
};
