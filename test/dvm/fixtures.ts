/** A catalog snapshot for pure (database-free) compiler tests. */
import type { CompileInput, CompileSource } from '../../src/dvm/index.ts';

function table(relid: number, schema: string, name: string, columns: [string, string][], primaryKey: string[] | null): CompileSource {
  return { relid, schema, name, kind: 'TABLE', columns: columns.map(([n, type]) => ({ name: n, type, notNull: false })), primaryKey };
}

export const SOURCES: CompileSource[] = [
  table(16001, 'public', 'orders', [['id', 'integer'], ['cust', 'integer'], ['amt', 'numeric(10,2)'], ['qty', 'integer'], ['note', 'text']], ['id']),
  table(16002, 'public', 'customers', [['id', 'integer'], ['region', 'text'], ['tier', 'integer']], ['id']),
  table(16003, 'public', 'items', [['order_id', 'integer'], ['sku', 'text'], ['price', 'numeric']], null),
  table(16004, 'We"ird Schema', 'Select "Table"', [['Order', 'integer'], ['ünï col', 'text'], ['a"b', 'numeric']], ['Order']),
];

/** `'a:integer, b:text'` → output columns. */
export function outputs(spec: string): { name: string; type: string }[] {
  if (!spec.trim()) return [];
  return spec.split(',').map((part) => {
    const i = part.lastIndexOf(':');
    return { name: part.slice(0, i).trim(), type: part.slice(i + 1).trim() };
  });
}

export function input(query: string, outputSpec = '', extra: Partial<CompileInput> = {}): CompileInput {
  return {
    pgtId: 42,
    target: { schema: 'public', name: 'st' },
    query,
    outputColumns: outputs(outputSpec),
    sources: SOURCES,
    searchPath: ['public'],
    worstVolatility: 'i',
    mode: 'DIFFERENTIAL',
    ...extra,
  };
}
