/**
 * Emitting bound user expressions.
 *
 * The builder replaces each user column reference with a *bound* reference
 * (a ColumnRef whose first field is BOUND_MARK and second the internal id).
 * Emission copies the AST, points every bound reference at the generated
 * alias that provides that column, and deparses with pgsql-deparser, so the
 * user's expression text (operators, functions, literals) is kept as written.
 */
import { columnRef, deparse, mapNodes, type PgNode } from '../ast.ts';
import { DvmInternalError } from '../errors.ts';
import type { Expr } from '../ir.ts';

export const BOUND_MARK = '\u0001bound';

export function boundRef(id: string): PgNode {
  return columnRef([BOUND_MARK, id]);
}

/** The internal id of a bound reference node, or null. */
export function boundId(node: PgNode): string | null {
  const fields = node.ColumnRef?.fields as PgNode[] | undefined;
  if (!fields || fields.length !== 2 || fields[0]?.String?.sval !== BOUND_MARK) return null;
  return String(fields[1]!.String.sval);
}

export type Resolve = (id: string) => string;

/** Resolve every column to one alias. */
export function fromAlias(alias: string): Resolve {
  return () => alias;
}

/** Resolve each column to the alias of the input that has it. */
export function fromAliases(map: ReadonlyMap<string, string>): Resolve {
  return (id) => {
    const alias = map.get(id);
    if (alias === undefined) throw new DvmInternalError(`column ${id} is not provided by any input`);
    return alias;
  };
}

export function exprSql(expr: Expr, resolve: Resolve): string {
  const ast = mapNodes(expr.ast, (node) => {
    const id = boundId(node);
    return id === null ? undefined : columnRef([resolve(id), id]);
  }) as PgNode;
  return `(${deparse(ast)})`;
}

/** Expression text for explain output: columns shown by internal id. */
export function exprText(expr: Expr): string {
  const ast = mapNodes(expr.ast, (node) => {
    const id = boundId(node);
    return id === null ? undefined : columnRef([id]);
  }) as PgNode;
  return deparse(ast).replace(/\s+/g, ' ');
}

/** An Expr over an already bound AST (collects its references). */
export function exprOf(ast: PgNode): Expr {
  const refs = new Set<string>();
  mapNodes(ast, (node) => {
    const id = boundId(node);
    if (id !== null) refs.add(id);
    return undefined;
  });
  return { ast, refs: [...refs] };
}
