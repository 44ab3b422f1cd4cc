/**
 * One file per aggregate function. An aggregate is maintained through a small
 * *state* (kept in hidden storage columns at the top of a plan, or recomputed
 * over weighted rows inside it) from which its value follows; every state
 * component is a sum, so it is algebraic: state(X₁) = state(X₀) + state(ΔX).
 */
import { canonical } from '../ast.ts';
import type { AggCall } from '../ir.ts';

export interface AggArgs {
  /** SQL of the argument (null for COUNT(*)). */
  arg: string | null;
  /** SQL of the FILTER condition, or null. */
  filter: string | null;
  /** SQL of the whole call (for `rescan` aggregates), or null. */
  call: string | null;
}

/**
 * How an aggregate is maintained (D16):
 * - `algebraic`: every state column is a sum, state(X₁) = state(X₀) + state(ΔX);
 * - `extreme` (MIN/MAX): the state is the extreme; inserted values move it
 *   directly, and only a group whose extreme was deleted is rescanned;
 * - `rescan`: no state; every group the delta touches is recomputed from the
 *   child's current rows (reads the whole group).
 */
export type AggKind = 'algebraic' | 'extreme' | 'rescan';

export interface StateColumn {
  /** storage column `__pgt_aux_<suffix>_<n>`. */
  suffix: 'count' | 'sum' | 'min' | 'max';
  type: string;
}

export interface AggRules {
  readonly kind: AggKind;
  /** State kept besides the group's row count `__pgt_count`. */
  state(agg: AggCall): StateColumn[];
  /**
   * Aggregates with equal keys keep the same state (SUM(x) and AVG(x) share
   * Σx and the count of x); null when the aggregate keeps no state.
   */
  stateKey(agg: AggCall): string | null;
  /** The real aggregate over current rows (FULL refresh, current state). */
  value(agg: AggCall, a: AggArgs): string;
  /** Aggregates computing each state column over current rows. */
  fullState(agg: AggCall, a: AggArgs): string[];
  /**
   * Aggregates computing each state column's change over weighted rows (weight SQL `w`).
   * For `extreme`: [extreme of the inserted values, extreme of the deleted values].
   */
  weightedState(agg: AggCall, a: AggArgs, w: string): string[];
  /** New state from stored state (NULL when the group is new) and its change. */
  combine(agg: AggCall, stored: readonly string[], change: readonly string[]): string[];
  /** The aggregate's value from its state and the group's row count. */
  fromState(agg: AggCall, state: readonly string[], groupCount: string): string;
}

/** `CASE WHEN <filter> AND <arg> IS NOT NULL THEN … ` guard (counts what the aggregate counts). */
export function counted(a: AggArgs): string {
  const parts: string[] = [];
  if (a.filter) parts.push(`(${a.filter})`);
  if (a.arg) parts.push(`(${a.arg}) IS NOT NULL`);
  return parts.length ? parts.join(' AND ') : 'true';
}

export function filterClause(a: AggArgs): string {
  return a.filter ? ` FILTER (WHERE ${a.filter})` : '';
}

/** Structural key of an aggregate's argument and FILTER, for state sharing. */
export function inputKey(agg: AggCall): string {
  return canonical([agg.arg?.ast ?? null, agg.filter?.ast ?? null]);
}
