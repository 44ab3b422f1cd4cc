/**
 * Compiled plans (DESIGN D2): read a stream table's catalog snapshot, compile
 * it in the worker pool, and install the plan — or record why not.
 *
 * Installing never refreshes: it adds the plan's hidden columns and indexes,
 * stores the statements and marks the storage as not yet produced by this plan,
 * so the next refresh (whoever runs it) is a FULL one under the new row-id
 * formula, and DIFFERENTIAL refreshes follow. Until then the table keeps its
 * correct contents. None of these functions opens or commits a transaction:
 * the caller decides (the CLI compiles inside the creating transaction).
 */
import type pg from 'pg';
import { COMPILER_VERSION, type CompiledPlan, type CompileInput } from '../dvm/index.ts';
import { STATEMENTS_VERSION } from '../refresh/statements.ts';
import { ident } from '../sql/ident.ts';

import { PRODUCT_VERSION } from '../version.ts';
import type { CompileOutcome, CompilerPool } from './pool.ts';

/**
 * The version stamp stored with a plan: the compiler's, the statement
 * shapes' and the release's (a plan's SQL calls catalog functions, which a
 * release may change). A stored plan with another stamp is re-derived from
 * the query (D2), so every upgrade recompiles every plan — a few ms each.
 */
export const PLAN_VERSION = `${COMPILER_VERSION}+statements-${STATEMENTS_VERSION}+pgtrickle-${PRODUCT_VERSION}`;

export interface PlanSnapshot {
  input: CompileInput;
  /** requested refresh mode: AUTO falls back to FULL, DIFFERENTIAL fails */
  requestedMode: string;
  /** what must still hold when the plan is installed */
  stamp: { updatedAt: string; definingQuery: string };
  storage: { schema: string; name: string; relid: number };
}

export type CompileResult =
  | { status: 'installed'; plan: CompiledPlan }
  | { status: 'fallback_full'; message: string }
  | { status: 'unsupported'; message: string; code: string; hint: string }
  | { status: 'stale' };

export async function readPlanSnapshot(client: pg.ClientBase, pgtId: number): Promise<PlanSnapshot> {
  const st = await client.query<{
    pgt_schema: string; pgt_name: string; pgt_relid: number; defining_query: string; updated_at: string; requested_mode: string;
  }>(
    `SELECT s.pgt_schema, s.pgt_name, s.pgt_relid::int AS pgt_relid, s.defining_query, s.updated_at::text,
            COALESCE(p.requested_mode, 'AUTO') AS requested_mode
       FROM pgtrickle.pgt_stream_tables s LEFT JOIN pgtrickle.pgt_coord_plans p USING (pgt_id)
      WHERE s.pgt_id = $1`,
    [pgtId],
  );
  const row = st.rows[0];
  if (!row) throw new Error(`stream table not found: pgt_id ${pgtId}`);
  const columns = await client.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
      WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped AND attname NOT LIKE '\\_\\_pgt\\_%' ORDER BY attnum`,
    [row.pgt_relid],
  );
  const sources = await client.query<{
    relid: number; source_type: 'TABLE' | 'STREAM_TABLE'; schema: string; name: string;
    columns: { name: string; type: string; notNull: boolean }[]; pk: string[] | null;
  }>(
    `SELECT d.source_relid::int AS relid, d.source_type, n.nspname AS schema, c.relname AS name,
            (SELECT json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'notNull', a.attnotnull)
                             ORDER BY a.attnum)
               FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
            (SELECT json_agg(a.attname ORDER BY array_position(i.indkey::int2[], a.attnum))
               FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
              WHERE i.indrelid = c.oid AND i.indisprimary) AS pk
       FROM pgtrickle.pgt_dependencies d
       JOIN pg_class c ON c.oid = d.source_relid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE d.pgt_id = $1 AND d.source_type IN ('TABLE', 'STREAM_TABLE')
      ORDER BY d.source_relid`,
    [pgtId],
  );
  const analysis = await client.query<{ volatility: 'i' | 's' | 'v'; search_path: string[]; user_aggregates: string[] }>(
    `SELECT a ->> 'volatility' AS volatility, current_schemas(false) AS search_path,
            ARRAY(SELECT jsonb_array_elements_text(a -> 'user_aggregates')) AS user_aggregates
       FROM pgtrickle._analyze_query($1) AS a`,
    [row.defining_query],
  );
  return {
    input: {
      pgtId,
      target: { schema: row.pgt_schema, name: row.pgt_name },
      query: row.defining_query,
      outputColumns: columns.rows,
      sources: sources.rows.map((s) => ({
        relid: s.relid,
        schema: s.schema,
        name: s.name,
        kind: s.source_type,
        columns: s.columns,
        // A stream table's storage has no primary key: downstream treats it as keyless.
        primaryKey: s.source_type === 'TABLE' ? s.pk : null,
      })),
      searchPath: analysis.rows[0]!.search_path,
      worstVolatility: analysis.rows[0]!.volatility,
      userAggregates: analysis.rows[0]!.user_aggregates,
      mode: 'DIFFERENTIAL',
    },
    requestedMode: row.requested_mode,
    stamp: { updatedAt: row.updated_at, definingQuery: row.defining_query },
    storage: { schema: row.pgt_schema, name: row.pgt_name, relid: row.pgt_relid },
  };
}

/** Takes the stream table's refresh lock and checks the snapshot still describes it. */
async function lockUnchanged(client: pg.ClientBase, pgtId: number, snapshot: PlanSnapshot): Promise<boolean> {
  await client.query('SELECT pg_advisory_xact_lock(pgtrickle._refresh_lock_key(), $1::int)', [pgtId]);
  const { rows } = await client.query<{ updated_at: string; defining_query: string }>(
    'SELECT updated_at::text, defining_query FROM pgtrickle.pgt_stream_tables WHERE pgt_id = $1 FOR UPDATE',
    [pgtId],
  );
  const now = rows[0];
  return !!now && now.updated_at === snapshot.stamp.updatedAt && now.defining_query === snapshot.stamp.definingQuery;
}

export async function installPlan(client: pg.ClientBase, snapshot: PlanSnapshot, plan: CompiledPlan): Promise<boolean> {
  const pgtId = snapshot.input.pgtId;
  if (!(await lockUnchanged(client, pgtId, snapshot))) return false;
  const target = `${ident(snapshot.storage.schema)}.${ident(snapshot.storage.name)}`;
  await client.query('SELECT pgtrickle._drop_hidden_columns($1::oid::regclass)', [snapshot.storage.relid]);
  for (const col of plan.hiddenColumns) {
    await client.query(`ALTER TABLE ${target} ADD COLUMN ${ident(col.name)} ${col.type}`);
  }
  // The row-id index: unique unless equal rows may share an id.
  const { rows: idIndexes } = await client.query<{ name: string; unique: boolean }>(
    `SELECT format('%I.%I', n.nspname, ic.relname) AS name, i.indisunique AS unique
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
      WHERE i.indrelid = $1 AND i.indnatts = 1
        AND i.indkey[0] = (SELECT attnum FROM pg_attribute WHERE attrelid = $1 AND attname = '__pgt_row_id')`,
    [snapshot.storage.relid],
  );
  if (!idIndexes.some((i) => i.unique === plan.rowIdUnique)) {
    for (const index of idIndexes) await client.query(`DROP INDEX ${index.name}`);
    await client.query(`CREATE ${plan.rowIdUnique ? 'UNIQUE ' : ''}INDEX ON ${target} (__pgt_row_id)`);
  }
  if (plan.groupByColumns.length > 0) {
    const { rows } = await client.query<{ exists: boolean }>(
      `SELECT EXISTS (
         SELECT 1 FROM pg_index i
          WHERE i.indrelid = $1
            AND (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) = $2::text[]) AS exists`,
      [snapshot.storage.relid, plan.groupByColumns],
    );
    if (!rows[0]!.exists) await client.query(`CREATE INDEX ON ${target} (${plan.groupByColumns.map(ident).join(', ')})`);
  }
  const summary = {
    strategy: plan.strategy,
    hiddenColumns: plan.hiddenColumns,
    rowIdUnique: plan.rowIdUnique,
    groupByColumns: plan.groupByColumns,
    warnings: plan.warnings,
  };
  await client.query('SELECT pgtrickle._install_compiled_plan($1, $2, $3, $4, $5, $6::jsonb)', [
    pgtId,
    PLAN_VERSION,
    plan.fullRefreshSql,
    plan.differentialSql,
    plan.operatorTree,
    JSON.stringify(summary),
  ]);
  return true;
}

/** Events of the stream-table state machine (sql/code/08_state.sql), the only writer of status and plan state. */
export type StreamTableEvent =
  | 'refreshed' | 'refresh_failed' | 'fail' | 'suspend' | 'resume' | 'clear_errors' | 'reinitialize' | 'needs_reinit'
  | 'plan_requested' | 'plan_compiled' | 'plan_failed' | 'plan_unsupported';

export async function transition(
  client: pg.ClientBase | pg.Pool,
  pgtId: number,
  event: StreamTableEvent,
  detail: Record<string, unknown> = {},
): Promise<void> {
  await client.query('SELECT pgtrickle._transition($1, $2, $3::jsonb)', [pgtId, event, JSON.stringify(detail)]);
}

async function alert(client: pg.ClientBase, pgtId: number, event: string, extra: Record<string, unknown>): Promise<void> {
  await client.query(
    `SELECT pgtrickle._alert($2, s, $3::jsonb) FROM pgtrickle.pgt_stream_tables s WHERE s.pgt_id = $1`,
    [pgtId, event, JSON.stringify(extra)],
  );
}

/**
 * The compiler cannot maintain this query incrementally. AUTO: the stream
 * table becomes FULL (pg_trickle's creation-time fallback). DIFFERENTIAL asked
 * for explicitly: the stream table goes to ERROR with the coded message.
 */
export async function recordUnsupported(
  client: pg.ClientBase,
  snapshot: PlanSnapshot,
  unsupported: { code: string; construct: string; location: number | null; message: string; hint: string },
): Promise<CompileResult> {
  const pgtId = snapshot.input.pgtId;
  if (!(await lockUnchanged(client, pgtId, snapshot))) return { status: 'stale' };
  // No character position: it would point into the stored (deparsed) query, not the user's text.
  const summary = `unsupported operator for DIFFERENTIAL mode: ${unsupported.construct} [${unsupported.code}]`;
  const message = `${summary}; hint: ${unsupported.hint}`;
  const fallbackToFull = snapshot.requestedMode === 'AUTO';
  await transition(client, pgtId, 'plan_unsupported', {
    error: `[${unsupported.code}] ${unsupported.message}`,
    fallback_to_full: fallbackToFull,
    message,
  });
  if (fallbackToFull) {
    await alert(client, pgtId, 'refresh_mode_fallback', { from: 'DIFFERENTIAL', to: 'FULL', reason: unsupported.construct, code: unsupported.code });
    return { status: 'fallback_full', message: `Falling back to FULL refresh: ${unsupported.construct} is not maintained differentially [${unsupported.code}]` };
  }
  await alert(client, pgtId, 'error_state', { code: unsupported.code });
  return { status: 'unsupported', message: summary, code: unsupported.code, hint: unsupported.hint };
}

/** A compiler bug: keep the correct FULL plan, record it, do not retry until the next alter. */
export async function recordCompileFailure(client: pg.ClientBase, pgtId: number, error: string): Promise<void> {
  await transition(client, pgtId, 'plan_failed', { error: `internal compiler error: ${error}` });
  await alert(client, pgtId, 'compile_failed', { error });
}

/** Snapshot → worker → install (or record). Runs inside the caller's transaction. */
export async function compileStreamTable(client: pg.ClientBase, pool: CompilerPool, pgtId: number): Promise<CompileResult> {
  const snapshot = await readPlanSnapshot(client, pgtId);
  let outcome: CompileOutcome;
  try {
    outcome = await pool.compile(snapshot.input);
  } catch (raw) {
    await recordCompileFailure(client, pgtId, (raw as Error).message ?? String(raw));
    throw raw;
  }
  if (!outcome.ok) return recordUnsupported(client, snapshot, outcome.unsupported);
  const installed = await installPlan(client, snapshot, outcome.plan);
  return installed ? { status: 'installed', plan: outcome.plan } : { status: 'stale' };
}

/** Stream tables waiting for a plan, or whose plan an older compiler produced. */
export async function streamTablesNeedingPlans(client: pg.ClientBase): Promise<number[]> {
  const { rows } = await client.query<{ pgt_id: string }>(
    `SELECT s.pgt_id FROM pgtrickle.pgt_stream_tables s JOIN pgtrickle.pgt_coord_plans p USING (pgt_id)
      WHERE s.refresh_mode IN ('DIFFERENTIAL', 'IMMEDIATE') AND s.status IN ('ACTIVE', 'INITIALIZING')
        AND ((p.plan_kind = 'GENERIC_FULL' AND p.compile_requested_at IS NOT NULL)
          OR (p.plan_kind = 'COMPILED' AND p.compiler_version IS DISTINCT FROM $1))
      ORDER BY s.pgt_id`,
    [PLAN_VERSION],
  );
  return rows.map((r) => Number(r.pgt_id));
}

/**
 * Compiles and installs every pending plan, each in its own short transaction
 * on `client`. A failure is recorded on the stream table (so it stops asking)
 * and reported through `onResult`; it never stops the others.
 */
export async function compilePendingPlans(
  client: pg.ClientBase,
  compiler: CompilerPool,
  onResult: (pgtId: number, result: CompileResult | Error) => void = () => {},
): Promise<void> {
  for (const pgtId of await streamTablesNeedingPlans(client)) {
    try {
      await client.query('BEGIN');
      const result = await compileStreamTable(client, compiler, pgtId);
      await client.query('COMMIT');
      onResult(pgtId, result);
    } catch (raw) {
      await client.query('ROLLBACK').catch(() => {});
      const error = raw instanceof Error ? raw : new Error(String(raw));
      await transition(client, pgtId, 'plan_failed', { error: `internal compiler error: ${error.message}` }).catch(() => {});
      onResult(pgtId, error);
    }
  }
}
