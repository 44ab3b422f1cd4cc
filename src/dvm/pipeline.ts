/**
 * The compiler as a list of named passes, assembled here and nowhere else:
 *
 *   parse → restrict → build → push-down → prune → plan
 *
 * `push-down` and `prune` are optimisations: each can be switched off
 * (`disable`) and the result compared against the naive plan in tests.
 */
import { parseQuery, type PgNode } from './ast.ts';
import { BuildContext } from './build/context.ts';
import { buildRoot } from './build/topk.ts';
import { EmitContext } from './emit/context.ts';
import { chooseStrategy, STRATEGIES } from './emit/strategy.ts';
import { LINEAGE } from './emit/strategies/lineage.ts';
import { DvmInternalError, UnsupportedQueryError } from './errors.ts';
import { operatorTree } from './explain.ts';
import type { OpNode } from './ir.ts';
import { pruneColumns } from './passes/prune.ts';
import { pushDown } from './passes/pushdown.ts';
import { restrict } from './restrict.ts';
import { rulesOf } from './ops/index.ts';
import { fullRefreshStatement, differentialStatement } from '../refresh/statements.ts';
import type { CompiledPlan, CompileInput } from './types.ts';
import { boundId } from './emit/expr.ts';

/** Bump whenever the generated SQL changes (plans are re-derived on mismatch, D2). */
export const COMPILER_VERSION = 'dvm-6';

interface State {
  readonly input: CompileInput;
  statements?: PgNode[];
  warnings: string[];
  tree?: OpNode;
}

export type PassName = 'parse' | 'restrict' | 'build' | 'push-down' | 'prune';

interface Pass {
  readonly name: PassName;
  readonly optional: boolean;
  run(state: State): void;
}

const PASSES: readonly Pass[] = [
  { name: 'parse', optional: false, run: (s) => void (s.statements = parseQuery(s.input.query)) },
  { name: 'restrict', optional: false, run: (s) => void s.warnings.push(...restrict(s.statements!, s.input)) },
  {
    name: 'build',
    optional: false,
    run: (s) => {
      const ctx = new BuildContext(s.input);
      const built = buildRoot(ctx, s.statements![0]!.SelectStmt, s.input.outputColumns.map((c) => c.type));
      if (built.node.columns.length !== s.input.outputColumns.length) {
        throw new UnsupportedQueryError('output_columns', `query has ${built.node.columns.length} columns, probe has ${s.input.outputColumns.length}`);
      }
      // Constants (VALUES, SELECT without FROM) are sources of nothing: a defining query must read a table.
      if (!readsTable(built.node)) throw new UnsupportedQueryError('no_from', 'the query reads no table (only VALUES / SELECT without FROM)');
      s.tree = built.node;
    },
  },
  { name: 'push-down', optional: true, run: (s) => void (s.tree = pushDown(s.tree!)) },
  { name: 'prune', optional: true, run: (s) => void (s.tree = pruneColumns(s.tree!)) },
];

function readsTable(node: OpNode): boolean {
  return node.kind === 'Scan' || rulesOf(node).children(node).some(readsTable);
}

export interface CompileOptions {
  /** Optimisation passes to skip (for comparing against the naive plan). */
  disable?: readonly PassName[];
}

/** User output columns that are plain GROUP BY keys (worth an index). */
function groupKeyOutputs(root: OpNode, names: readonly string[]): string[] {
  if (root.kind !== 'Project') return [];
  let below: OpNode = root.child;
  while (below.kind === 'Filter') below = below.child;
  if (below.kind !== 'Aggregate') return [];
  const groupIds = new Set(below.groups.map((g) => g.col.id));
  return root.items.flatMap((item, i) => {
    const id = boundId(item.expr.ast);
    return id !== null && groupIds.has(id) ? [names[i]!] : [];
  });
}

export function compile(input: CompileInput, options: CompileOptions = {}): CompiledPlan {
  const state: State = { input, warnings: [] };
  for (const pass of PASSES) {
    if (pass.optional && options.disable?.includes(pass.name)) continue;
    pass.run(state);
  }
  const root = state.tree;
  if (!root) throw new DvmInternalError('no operator tree built');

  const outputNames = input.outputColumns.map((c) => c.name);
  const strategy = STRATEGIES[chooseStrategy(root)];
  const plan = { node: root, outputNames };
  const hiddenColumns = strategy.hiddenColumns(plan);
  const columns = [...outputNames, ...hiddenColumns.map((h) => h.name)];

  const fullSelectSql = strategy.fullSelect(plan, new EmitContext(input));
  const deltaCtx = new EmitContext(input);
  const deltaSelectSql = deltaCtx.wrap(strategy.deltaSelect(plan, deltaCtx));
  if (!root.key && root.kind !== 'TopK') state.warnings.push('no row identity (a keyless source feeds the result): duplicate rows are kept as numbered copies');

  return {
    compilerVersion: COMPILER_VERSION,
    operatorTree: operatorTree(root),
    strategy: strategy.name,
    hiddenColumns,
    rowIdUnique: true,
    groupByColumns: strategy.name === 'lineage' ? [LINEAGE] : groupKeyOutputs(root, outputNames),
    fullRefreshSql: fullRefreshStatement({ pgtId: input.pgtId, target: input.target, columns, selectSql: fullSelectSql }),
    differentialSql: differentialStatement({ pgtId: input.pgtId, target: input.target, columns, deltaSql: deltaSelectSql }),
    fullSelectSql,
    deltaSelectSql,
    warnings: state.warnings,
  };
}
