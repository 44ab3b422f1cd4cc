/**
 * The one place where SQL identifiers and literals are quoted (D6).
 * Every generated statement — catalog DDL, capture triggers, delta SQL —
 * goes through these helpers, so hostile names (quotes, spaces, upper case,
 * unicode, reserved words) are handled once and tested once.
 */

/** Quote an identifier unconditionally: `a"b` → `"a""b"`. */
export function ident(name: string): string {
  if (name.length === 0) throw new Error('empty SQL identifier');
  if (name.includes('\u0000')) throw new Error('SQL identifier contains a NUL byte');
  return '"' + name.replaceAll('"', '""') + '"';
}

/** `schema.name`, both parts quoted. */
export function qualified(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}

/** A string literal safe under standard_conforming_strings = on (the default since 9.1). */
export function literal(value: string): string {
  if (value.includes('\u0000')) throw new Error('SQL literal contains a NUL byte');
  return "'" + value.replaceAll("'", "''") + "'";
}

/** A literal or NULL. */
export function nullableLiteral(value: string | null | undefined): string {
  return value == null ? 'NULL' : literal(value);
}

/** Dollar-quote a body (plpgsql function bodies) with a tag that does not occur in it. */
export function dollarQuote(body: string, tagBase = 'pgt'): string {
  let tag = tagBase;
  let n = 0;
  while (body.includes(`$${tag}$`)) tag = `${tagBase}${++n}`;
  return `$${tag}$${body}$${tag}$`;
}

/** Name of the change buffer of a source relation (one buffer per source, D4). */
export function changeBufferName(sourceRelid: number): string {
  return `changes_${sourceRelid}`;
}

export const CHANGE_SCHEMA = 'pgtrickle_changes';
export const CATALOG_SCHEMA = 'pgtrickle';

/** Buffer column holding the new image of source column `column`. */
export function newImageColumn(column: string): string {
  return `new_${column}`;
}

/** Buffer column holding the old image of source column `column`. */
export function oldImageColumn(column: string): string {
  return `old_${column}`;
}
