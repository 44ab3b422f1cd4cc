/**
 * Name resolution: the FROM clause's range entries and the binding of user
 * column references to internal column ids (PostgreSQL's rules, reduced to
 * what the restriction walker lets through).
 */
import { bodyOf, kindOf, mapNodes, type PgBody, type PgNode } from '../ast.ts';
import { UnsupportedQueryError } from '../errors.ts';
import { boundId, boundRef, exprOf } from '../emit/expr.ts';
import type { Col, Expr } from '../ir.ts';

export interface ScopeColumn {
  readonly name: string;
  readonly col: Col;
}

export interface RangeEntry {
  /** The name a qualified reference uses (alias, else relation name); null for an unaliased subquery. */
  readonly alias: string | null;
  /** Schema of an unaliased table, for `schema.table.column`. */
  readonly schema: string | null;
  readonly columns: readonly ScopeColumn[];
}

const SYSTEM_COLUMNS = new Set(['ctid', 'xmin', 'xmax', 'cmin', 'cmax', 'tableoid']);

export class Scope {
  /** Set when a name was resolved in `outer` (the subquery is correlated). */
  outerUsed = false;

  constructor(
    readonly entries: readonly RangeEntry[],
    /** Columns merged by JOIN USING / NATURAL: an unqualified name means the merged column. */
    readonly merged: ReadonlyMap<string, Col>,
    /** The enclosing query's scope, for the correlated references of a subquery (innermost name wins). */
    readonly outer: Scope | null = null,
  ) {}

  resolve(fields: readonly string[], at: PgBody): Col {
    try {
      return this.resolveHere(fields, at);
    } catch (raw) {
      if (!this.outer || !(raw instanceof UnsupportedQueryError) || raw.code !== 'unknown_column') throw raw;
      const col = this.outer.resolve(fields, at);
      this.outerUsed = true;
      return col;
    }
  }

  private resolveHere(fields: readonly string[], at: PgBody): Col {
    const loc = typeof at.location === 'number' ? at.location : null;
    const colName = fields[fields.length - 1]!;
    const notFound = (): never => {
      if (SYSTEM_COLUMNS.has(colName)) throw new UnsupportedQueryError('system_column', colName, loc);
      throw new UnsupportedQueryError('unknown_column', fields.join('.'), loc);
    };
    if (fields.length === 1) {
      const merged = this.merged.get(colName);
      if (merged) return merged;
      const hits = this.entries.flatMap((e) => e.columns.filter((c) => c.name === colName));
      if (hits.length === 1) return hits[0]!.col;
      if (hits.length > 1) throw new UnsupportedQueryError('ambiguous_column', colName, loc);
      if (this.entries.some((e) => e.alias === colName)) throw new UnsupportedQueryError('whole_row_reference', colName, loc);
      return notFound();
    }
    let candidates: RangeEntry[];
    if (fields.length === 2) candidates = this.entries.filter((e) => e.alias === fields[0]);
    else if (fields.length === 3) candidates = this.entries.filter((e) => e.alias === fields[1] && e.schema === fields[0]);
    else return notFound();
    if (candidates.length === 0) return notFound();
    if (candidates.length > 1) throw new UnsupportedQueryError('ambiguous_column', fields.join('.'), loc);
    const hits = candidates[0]!.columns.filter((c) => c.name === colName);
    if (hits.length === 1) return hits[0]!.col;
    if (hits.length > 1) throw new UnsupportedQueryError('ambiguous_column', fields.join('.'), loc);
    return notFound();
  }

  /** The columns `alias.*` expands to. */
  starOf(alias: string, at: PgBody): ScopeColumn[] {
    const hits = this.entries.filter((e) => e.alias === alias);
    if (hits.length !== 1) throw new UnsupportedQueryError(hits.length ? 'ambiguous_column' : 'unknown_column', `${alias}.*`, at.location ?? null);
    return [...hits[0]!.columns];
  }

  /**
   * Bind every column reference in `ast`. `hook` may replace a node first
   * (the aggregate builder replaces aggregate calls and group expressions).
   */
  bind(ast: PgNode, hook?: (node: PgNode) => PgNode | undefined): Expr {
    const out = mapNodes(ast, (node) => {
      const replaced = hook?.(node);
      if (replaced !== undefined) return replaced;
      if (kindOf(node) === 'SubLink') {
        // Supported sublinks were replaced before binding (build/sublinks.ts); this one is in a position that is not.
        const b = bodyOf(node);
        throw new UnsupportedQueryError('sublink', `${String(b.subLinkType ?? '').replace('_SUBLINK', '')} subquery in this position`, b.location ?? null);
      }
      if (kindOf(node) !== 'ColumnRef' || boundId(node) !== null) return undefined;
      const body = bodyOf(node);
      const fields = (body.fields as PgNode[]).map((f) => (f.String ? String(f.String.sval) : '*'));
      if (fields.includes('*')) throw new UnsupportedQueryError('whole_row_reference', fields.join('.'), body.location ?? null);
      return boundRef(this.resolve(fields, body).id);
    }) as PgNode;
    return exprOf(out);
  }
}
