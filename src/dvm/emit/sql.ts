/**
 * Small SQL text builders for the parts the compiler generates itself.
 * Generated operators and functions are schema-qualified (D6) so a user's
 * search_path or shadowing objects cannot change the meaning of a plan;
 * identifiers go through src/sql/ident.ts.
 */
import { CATALOG_SCHEMA, ident, literal, qualified } from '../../sql/ident.ts';
import type { Col } from '../ir.ts';

/** The delta weight column: +n = n copies inserted, −n = n copies deleted. */
export const WEIGHT = '__pgt_w';

export function op(symbol: string): string {
  return `OPERATOR(pg_catalog.${symbol})`;
}

export function fn(name: string): string {
  return `pg_catalog.${name}`;
}

const HASH_MULTI = qualified(CATALOG_SCHEMA, 'pg_trickle_hash_multi');

/**
 * NULL-safe 64-bit hash of values via their text form (the session pins
 * TimeZone/DateStyle/IntervalStyle/extra_float_digits, so `::text` is stable).
 * Every row id and content hash in a plan goes through this one function.
 */
export function hashOf(values: readonly string[]): string {
  const items = values.map((v) => `(${v})::text`);
  return `${HASH_MULTI}(ARRAY[${items.join(', ')}]::text[])`;
}

/**
 * A column as it enters an identity hash (row id, lineage, union branch key).
 * Identity is SQL equality, and a numeric's display scale is not part of its
 * value: 1.5 = 1.50, yet their text differs. Numeric division makes the scale
 * depend on magnitudes (-1.5/1 has 20 digits, -3.0/2 has 16), so an AVG that
 * keeps its value while its group grows changes its text; without trimming,
 * the stored row's id and a recomputed id disagree and a later delta misses
 * the stored row. Only plain `numeric` varies (a typmod fixes the scale).
 */
export function identityValue(alias: string, col: Col): string {
  const ref = colRef(alias, col);
  return col.type === 'numeric' ? `${fn('trim_scale')}(${ref})` : ref;
}

/** `a IS NOT DISTINCT FROM b`, spelled so a btree index on either side stays usable. */
export function nullSafeEq(a: string, b: string): string {
  return `(${a} ${op('=')} ${b} OR (${a} IS NULL AND ${b} IS NULL))`;
}

export function and(parts: readonly string[]): string {
  if (parts.length === 0) return 'true';
  return parts.map((p) => `(${p})`).join(' AND ');
}

export function colRef(alias: string, col: Col | string): string {
  return `${alias}.${ident(typeof col === 'string' ? col : col.id)}`;
}

/** `alias.c AS c, …` for a column list (identity projection). */
export function passThrough(alias: string, cols: readonly Col[]): string[] {
  return cols.map((c) => `${colRef(alias, c)} AS ${ident(c.id)}`);
}

export function indent(sql: string, by = '  '): string {
  return sql
    .split('\n')
    .map((l) => (l.length ? by + l : l))
    .join('\n');
}

export function sub(sql: string, alias: string): string {
  return `(\n${indent(sql)}\n) AS ${alias}`;
}

export { ident, literal, qualified };
