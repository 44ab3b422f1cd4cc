/**
 * Group-rescan aggregates: every aggregate call that has no algebraic or
 * extreme state — STRING_AGG, ARRAY_AGG, JSON[B]_AGG, JSON[B]_OBJECT_AGG,
 * BOOL_AND/OR, EVERY, BIT_*, any aggregate with DISTINCT or ORDER BY,
 * MODE/PERCENTILE_* WITHIN GROUP, statistics (STDDEV, VARIANCE, CORR, …),
 * user-defined aggregates. Nothing is stored: each group the delta touches
 * (any changed row, also one whose argument is NULL) is recomputed with the
 * user's own call over the group's current rows. Cost: the touched groups'
 * rows, read through the group key.
 */
import { DvmInternalError } from '../errors.ts';
import type { AggRules } from './rules.ts';

const noState = (): never => {
  throw new DvmInternalError('a group-rescan aggregate has no incremental state');
};

export const rescanRules: AggRules = {
  kind: 'rescan',
  state: () => [],
  stateKey: () => null,
  value: (_agg, a) => {
    if (a.call === null) throw new DvmInternalError('group-rescan aggregate without its call');
    return a.call;
  },
  fullState: () => [],
  weightedState: noState,
  combine: noState,
  fromState: noState,
};
