import type { Col, OpNode } from '../../ir.ts';
import type { HiddenColumn, Strategy } from '../../types.ts';
import type { EmitContext } from '../context.ts';
import { hashOf, identityValue } from '../sql.ts';

/** The root of a plan and the storage columns its visible columns land in. */
export interface Root {
  readonly node: OpNode;
  /** Storage name of each visible column of `node`, in order. */
  readonly outputNames: readonly string[];
}

/**
 * How a plan's result is kept in storage: which hidden columns exist, how the
 * FULL select fills them, and how the delta select turns the root's Z-set
 * delta into at most one I/D row per `__pgt_row_id`.
 */
export interface StrategyRules {
  readonly name: Strategy;
  hiddenColumns(root: Root): HiddenColumn[];
  fullSelect(root: Root, ctx: EmitContext): string;
  deltaSelect(root: Root, ctx: EmitContext): string;
}

/**
 * THE row-id formula: every strategy, FULL and DIFF, computes `__pgt_row_id`
 * of a row from its identity columns with this one function (dvm.md §15.1).
 */
export function rowIdExpr(key: readonly Col[], alias: string): string {
  return hashOf(key.map((k) => identityValue(alias, k)));
}

export const ROW_ID = '__pgt_row_id';
export const ACTION = '__pgt_action';
