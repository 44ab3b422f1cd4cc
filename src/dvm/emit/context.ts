/**
 * State of one SQL emission: the generated CTE chain and the delta CTE of
 * every node already differentiated.
 *
 * Delta SQL lives in CTEs named `__pgt_cte_<kind>_<n>`; a node referenced
 * several times (ΔL feeds two parts of a join) gets one CTE, which PostgreSQL
 * materialises because it is referenced more than once. Current-state SQL is
 * always inlined as a subquery so the planner can flatten it and use indexes
 * (a materialised snapshot would read whole tables).
 */
import { qualified } from '../../sql/ident.ts';
import type { OpNode } from '../ir.ts';
import { rulesOf } from '../ops/index.ts';
import type { CompileInput } from '../types.ts';
import { indent } from './sql.ts';

export class EmitContext {
  private readonly ctes: { name: string; sql: string }[] = [];
  private readonly byBody = new Map<string, string>();
  private readonly deltas = new Map<OpNode, string>();
  private counter = 0;

  constructor(readonly input: CompileInput) {}

  /** The storage table, for operators that read stored state. */
  get storage(): string {
    return qualified(this.input.target.schema, this.input.target.name);
  }

  /** Register a CTE (identical bodies share one) and return its name. */
  define(kind: string, sql: string): string {
    const existing = this.byBody.get(sql);
    if (existing) return existing;
    this.counter += 1;
    const name = `__pgt_cte_${kind}_${this.counter}`;
    this.ctes.push({ name, sql });
    this.byBody.set(sql, name);
    return name;
  }

  /** Name of the CTE holding ΔX for `node`. */
  delta(node: OpNode): string {
    let name = this.deltas.get(node);
    if (name === undefined) {
      const sql = rulesOf(node).delta(node, this);
      name = this.define(`d${node.kind.toLowerCase()}`, sql);
      this.deltas.set(node, name);
    }
    return name;
  }

  /** SELECT text of the current state X₁ of `node`. */
  current(node: OpNode): string {
    return rulesOf(node).current(node, this);
  }

  /** `WITH … <final>` over every CTE defined so far. */
  wrap(finalSelect: string): string {
    if (this.ctes.length === 0) return finalSelect;
    const defs = this.ctes.map((c) => `${c.name} AS (\n${indent(c.sql)}\n)`).join(',\n');
    return `WITH ${defs}\n${finalSelect}`;
  }
}
