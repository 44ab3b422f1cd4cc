/**
 * The dashboard's data (spec/tui-cli.md §7): one poll reads every source
 * through the library, each on its own so one failing (or a function the
 * catalog does not have yet) leaves the others shown; then cascade staleness
 * (on the graph, keyed by schema.name) and issues are computed on the client.
 * Alerts: severity and message derived from pg_trickle's event payloads (§7.8).
 */
import type pg from 'pg';
import * as api from '../index.ts';

export interface Snapshot {
  at: number;
  tables: api.RefreshStatsRow[];
  health: api.HealthCheckRow[];
  buffers: api.ChangeBufferRow[];
  tree: api.TreeRow[];
  diagnostics: api.RecommendationRow[];
  settings: api.SettingRow[];
  timeline: api.TimelineRow[];
  workers: api.WorkerPoolRow[];
  jobs: api.ParallelJobRow[];
  fuses: api.FuseRow[];
  watermarks: api.WatermarkGroupRow[];
  triggers: api.TriggerRow[];
  nodes: api.ClusterNode[];
  /** per source: why it is empty (`needs pgtrickle.fuse_status()`, or the error) */
  errors: Partial<Record<SourceName, string>>;
  /** schema.name of every cascade-stale stream table */
  cascade: Set<string>;
  issues: Issue[];
}

export type SourceName =
  | 'tables' | 'health' | 'buffers' | 'tree' | 'diagnostics' | 'settings' | 'timeline' | 'workers' | 'jobs' | 'fuses' | 'watermarks' | 'triggers' | 'nodes';

export interface Issue {
  severity: 'error' | 'warning' | 'info';
  category: 'Broken Chain' | 'Buffer Growth' | 'Blown Fuse' | 'Stale Data';
  summary: string;
  detail: string;
  table: string;
  blast: number;
}

export const emptySnapshot = (): Snapshot => ({
  at: 0, tables: [], health: [], buffers: [], tree: [], diagnostics: [], settings: [], timeline: [], workers: [], jobs: [], fuses: [], watermarks: [], triggers: [], nodes: [],
  errors: {}, cascade: new Set(), issues: [],
});

function why(raw: unknown): string {
  if (raw instanceof api.FunctionMissingError) return `needs pgtrickle.${raw.functionName}()`;
  return api.describeError(raw);
}

export interface PollOptions {
  natsUrl?: string;
  namespace?: string;
}

/** One poll, in the spec's order; never throws for a single source. A lost connection shows as `tables` failing. */
export async function poll(client: pg.ClientBase, o: PollOptions = {}): Promise<Snapshot> {
  const s = emptySnapshot();
  const read = async <K extends SourceName>(key: K, fn: () => Promise<Snapshot[K]>) => {
    try {
      s[key] = await fn();
    } catch (raw) {
      s.errors[key] = why(raw);
    }
  };
  await read('tables', () => api.refreshStats(client));
  await read('health', () => api.healthCheck(client));
  await read('buffers', () => api.changeBufferSizes(client));
  await read('tree', () => api.dependencyTree(client));
  await read('diagnostics', () => api.recommendRefreshMode(client));
  await read('settings', () => api.listSettings(client));
  await read('timeline', () => api.refreshTimeline(client, 200));
  await read('workers', () => api.workerPoolStatus(client));
  await read('jobs', () => api.parallelJobStatus(client));
  await read('fuses', () => api.fuseStatus(client));
  await read('watermarks', () => api.watermarkGroups(client));
  await read('triggers', () => api.triggerInventory(client));
  if (o.natsUrl) await read('nodes', () => api.listClusterNodes({ natsUrl: o.natsUrl!, namespace: o.namespace }));
  s.at = Date.now();
  s.cascade = cascadeStale(s.tables, s.tree);
  s.issues = detectIssues(s);
  return s;
}

const qualified = (t: { pgt_schema: string; pgt_name: string }) => `${t.pgt_schema}.${t.pgt_name}`;
const failing = (status: string) => status === 'ERROR' || status === 'SUSPENDED';

/** child → parents edges of the dependency tree (a row's parent is the nearest preceding row one level up). */
function downstreamEdges(tree: api.TreeRow[]): Map<string, Set<string>> {
  const children = new Map<string, Set<string>>();
  const stack: string[] = [];
  for (const row of tree) {
    stack.length = row.depth;
    const parent = stack[row.depth - 1];
    if (parent && row.node_type === 'stream_table') {
      if (!children.has(parent)) children.set(parent, new Set());
      children.get(parent)!.add(row.node);
    }
    stack[row.depth] = row.node;
  }
  return children;
}

/** Every stream table downstream of an ERROR/SUSPENDED one (not the failing table itself). */
export function cascadeStale(tables: api.RefreshStatsRow[], tree: api.TreeRow[]): Set<string> {
  const children = downstreamEdges(tree);
  const out = new Set<string>();
  const visit = (node: string) => {
    for (const child of children.get(node) ?? []) if (!out.has(child)) out.add(child), visit(child);
  };
  for (const t of tables) if (failing(t.status)) visit(qualified(t));
  for (const t of tables) if (failing(t.status)) out.delete(qualified(t));
  return out;
}

function descendants(node: string, children: Map<string, Set<string>>): number {
  const seen = new Set<string>();
  const visit = (n: string) => {
    for (const c of children.get(n) ?? []) if (!seen.has(c)) seen.add(c), visit(c);
  };
  visit(node);
  return seen.size;
}

export function detectIssues(s: Pick<Snapshot, 'tables' | 'tree' | 'buffers' | 'fuses'>): Issue[] {
  const children = downstreamEdges(s.tree);
  const issues: Issue[] = [];
  for (const t of s.tables) {
    if (!failing(t.status)) continue;
    const n = descendants(qualified(t), children);
    issues.push({ severity: 'error', category: 'Broken Chain', summary: `${t.pgt_name} in ${t.status} — ${n} downstream affected`, detail: t.last_error_message ?? 'No error message', table: qualified(t), blast: n + 1 });
  }
  for (const b of s.buffers) {
    if (b.buffer_bytes <= 1_000_000) continue;
    issues.push({ severity: 'warning', category: 'Buffer Growth', summary: `${b.source_table}: ${(b.buffer_bytes / 1_048_576).toFixed(1)} MB (${b.pending_rows} rows)`, detail: 'Change buffer is growing faster than consumption', table: b.stream_table, blast: 1 });
  }
  const byName = new Map(s.tables.map((t) => [qualified(t), t]));
  for (const f of s.fuses) {
    if (f.fuse_state.toLowerCase() !== 'blown') continue;
    const t = byName.get(f.stream_table);
    issues.push({ severity: 'error', category: 'Blown Fuse', summary: `${f.stream_table} — ${t?.consecutive_errors ?? 0} consecutive errors`, detail: f.blow_reason ?? t?.last_error_message ?? 'No error detail', table: f.stream_table, blast: 1 });
  }
  for (const t of s.tables) {
    if (!t.stale || t.status !== 'ACTIVE') continue;
    const staleness = t.staleness_secs === null ? 'unknown' : `${t.staleness_secs.toFixed(1)}s`;
    issues.push({ severity: 'warning', category: 'Stale Data', summary: `${t.pgt_name} — staleness: ${staleness}`, detail: 'Data age exceeds schedule threshold', table: qualified(t), blast: 1 });
  }
  const rank = { error: 0, warning: 1, info: 2 };
  return issues.map((issue, i) => ({ issue, i })).sort((a, b) => rank[a.issue.severity] - rank[b.issue.severity] || b.issue.blast - a.issue.blast || a.i - b.i).map((x) => x.issue);
}

/** The Dashboard order: failing, then cascade-stale, then stale, then the rest; by name. */
export function dashboardOrder(tables: api.RefreshStatsRow[], cascade: Set<string>, filter: string): api.RefreshStatsRow[] {
  const f = filter.toLowerCase();
  const rank = (t: api.RefreshStatsRow) => (failing(t.status) ? 0 : cascade.has(qualified(t)) ? 1 : t.stale ? 2 : 3);
  return tables
    .filter((t) => !f || [t.pgt_name, t.pgt_schema, t.status, t.refresh_mode].some((v) => v.toLowerCase().includes(f)))
    .sort((a, b) => rank(a) - rank(b) || a.pgt_name.localeCompare(b.pgt_name));
}

export interface AlertLine {
  severity: 'critical' | 'warning' | 'info';
  /** HH:MM:SS, UTC, receive time */
  time: string;
  message: string;
  database?: string;
}

const CRITICAL_EVENTS = new Set(['refresh_failed', 'auto_suspended', 'cdc_trigger_disabled', 'cleanup_failure', 'fuse_blown_reminder', 'fuse_blown']);
const WARNING_EVENTS = new Set(['stale_data', 'buffer_growth_warning', 'slot_lag_warning', 'scheduler_falling_behind', 'reinitialize_needed', 'append_only_reverted', 'frozen_tier_skip']);

/** §7.8: an explicit severity/message wins; else derived from `event`. */
export function alertLine(payload: Record<string, unknown> | string, receivedAt = new Date()): AlertLine {
  const time = receivedAt.toISOString().slice(11, 19);
  if (typeof payload === 'string') return { severity: 'info', time, message: payload };
  const database = typeof payload.database === 'string' ? payload.database : undefined;
  const sev = typeof payload.severity === 'string' ? payload.severity.toLowerCase() : undefined;
  const event = typeof payload.event === 'string' ? payload.event : undefined;
  const explicit = typeof payload.message === 'string' ? payload.message : typeof payload.detail === 'string' ? payload.detail : undefined;
  if (sev !== undefined || !event) {
    const severity = sev === 'critical' || sev === 'error' ? 'critical' : sev === 'warning' || sev === 'warn' ? 'warning' : 'info';
    return { severity, time, message: explicit ?? JSON.stringify(payload), database };
  }
  const severity = CRITICAL_EVENTS.has(event) ? 'critical' : WARNING_EVENTS.has(event) ? 'warning' : 'info';
  const st = typeof payload.st === 'string' ? ` ${payload.st}` : '';
  const extra = typeof payload.error === 'string' ? `: ${payload.error}` : typeof payload.reason === 'string' ? `: ${payload.reason}` : '';
  return { severity, time, message: `${event}${st}${extra}`, database };
}
