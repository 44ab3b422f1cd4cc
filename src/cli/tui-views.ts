/**
 * The dashboard's views as lines of text (spec/tui-cli.md §7.4): each view is
 * a function of the last snapshot, the alert list and the selection. A source
 * that failed (or whose function the catalog does not have yet) is named in
 * the view's title, dimmed, instead of an empty list that looks healthy.
 */
import type * as api from '../index.ts';
import { normaliseSeverity } from '../index.ts';
import { humanBytes } from './format.ts';
import type { AlertLine, Snapshot, SourceName } from './tui-model.ts';

export type ViewKey =
  | 'dashboard' | 'detail' | 'dependencies' | 'log' | 'diagnostics' | 'cdc' | 'config' | 'health' | 'alerts'
  | 'workers' | 'fuse' | 'watermarks' | 'delta' | 'issues' | 'cluster';

export const VIEWS: { key: ViewKey; hotkey: string; label: string }[] = [
  { key: 'dashboard', hotkey: '1', label: 'Dashboard' },
  { key: 'detail', hotkey: '2', label: 'Detail' },
  { key: 'dependencies', hotkey: '3', label: 'Dependencies' },
  { key: 'log', hotkey: '4', label: 'Refresh Log' },
  { key: 'diagnostics', hotkey: '5', label: 'Diagnostics' },
  { key: 'cdc', hotkey: '6', label: 'CDC Health' },
  { key: 'config', hotkey: '7', label: 'Configuration' },
  { key: 'health', hotkey: '8', label: 'Health Checks' },
  { key: 'alerts', hotkey: '9', label: 'Alerts' },
  { key: 'workers', hotkey: 'w', label: 'Workers' },
  { key: 'fuse', hotkey: 'f', label: 'Fuse' },
  { key: 'watermarks', hotkey: 'm', label: 'Watermarks' },
  { key: 'delta', hotkey: 'd', label: 'Delta SQL' },
  { key: 'issues', hotkey: 'i', label: 'Issues' },
  { key: 'cluster', hotkey: 'c', label: 'Cluster' },
];

export interface Line {
  text: string;
  color?: string;
  bold?: boolean;
  inverse?: boolean;
  dim?: boolean;
}

export interface ViewContext {
  snapshot: Snapshot;
  alerts: AlertLine[];
  /** the filtered, Dashboard-ordered stream tables */
  tables: api.RefreshStatsRow[];
  selected: number;
  filter: string;
  width: number;
  height: number;
  cluster: boolean;
}

export interface ViewOutput {
  title: string;
  lines: Line[];
  /** how many rows j/k move over */
  selectable: number;
  /** the line to keep in view */
  scrollTo: number;
  /** show the newest lines (alerts) */
  stickBottom?: boolean;
}

const statusColour = (s: string | null) => (s === 'ACTIVE' ? 'green' : s === 'ERROR' ? 'red' : s === 'SUSPENDED' ? 'yellow' : 'gray');
const qn = (t: { pgt_schema: string; pgt_name: string }) => `${t.pgt_schema}.${t.pgt_name}`;
const failing = (s: string) => s === 'ERROR' || s === 'SUSPENDED';

/** Columns padded to widths; the last is not padded. */
function grid(widths: number[], cells: string[]): string {
  return cells.map((c, i) => (i === cells.length - 1 ? c : (c.length > widths[i]! ? c.slice(0, widths[i]! - 1) + '…' : c).padEnd(widths[i]!))).join(' ');
}

function titled(title: string, ctx: ViewContext, ...sources: SourceName[]): string {
  const why = sources.map((s) => ctx.snapshot.errors[s]).filter(Boolean);
  return why.length ? ` ${title} (${why.join('; ')}) ` : ` ${title} `;
}

function selectRows(lines: Line[], selected: number, offset: number): Line[] {
  return lines.map((l, i) => (i === selected + offset ? { ...l, inverse: true, bold: true } : l));
}

function dashboard(ctx: ViewContext): ViewOutput {
  const all = ctx.snapshot.tables;
  const active = all.filter((t) => t.status === 'ACTIVE').length;
  const errors = all.filter((t) => failing(t.status)).length;
  const stale = all.filter((t) => t.stale).length;
  const critical = ctx.snapshot.health.filter((c) => normaliseSeverity(c.severity) === 'critical').length;
  const ribbon = [` ${all.length} total`, `● ${active} active`];
  if (errors) ribbon.push(`✗ ${errors} error`);
  if (ctx.snapshot.cascade.size) ribbon.push(`⚠ ${ctx.snapshot.cascade.size} cascade-stale`);
  if (stale) ribbon.push(`⚠ ${stale} stale`);
  if (critical) ribbon.push(`✗ ${critical} critical`);
  const w = [28, 10, 10, 13, 11, 6];
  const rows: Line[] = ctx.tables.map((t) => {
    const eff = failing(t.status) ? '✗ err' : ctx.snapshot.cascade.has(qn(t)) ? '⚠ cascade' : '✓ ok';
    return {
      text: grid([...w, 26], [t.pgt_name, t.pgt_schema, t.status, t.refresh_mode, eff, t.stale ? 'yes' : 'no', t.last_refresh_at ?? '-', ...(ctx.width >= 140 ? [t.avg_duration_ms.toFixed(1), String(t.total_refreshes)] : [])].slice(0, ctx.width >= 140 ? 9 : 7)),
      color: statusColour(t.status),
    };
  });
  const header = grid([...w, 26], ['Name', 'Schema', 'Status', 'Mode', 'EFF', 'Stale', 'Last Refresh', ...(ctx.width >= 140 ? ['Avg ms', 'Refreshes'] : [])]);
  const title = ` ${ctx.tables.length} of ${all.length} tables ${ctx.filter ? `(filter: ${ctx.filter}) ` : ''}`;
  return {
    title: titled('Stream Tables', ctx, 'tables') + ribbon.join('  '),
    lines: [{ text: title, bold: true }, { text: header, color: 'cyan', bold: true }, ...selectRows(rows, ctx.selected, 0)],
    selectable: ctx.tables.length,
    scrollTo: ctx.selected + 2,
  };
}

function detail(ctx: ViewContext): ViewOutput {
  const t = ctx.tables[ctx.selected];
  if (!t) return { title: ' Detail — no stream table selected ', lines: [], selectable: ctx.tables.length, scrollTo: 0 };
  const name = qn(t);
  const cascade = ctx.snapshot.cascade.has(name);
  const effective = failing(t.status) ? '✗ error' : cascade ? '⚠ cascade-stale' : '✓ ok';
  const recent = ctx.snapshot.timeline.filter((e) => e.stream_table === name || e.stream_table === t.pgt_name).slice(0, 5);
  const lines: Line[] = [
    { text: ` ${t.pgt_name} — Properties `, bold: true },
    { text: `  Name: ${name}` },
    { text: `  Status: ${t.status}    Effective: ${effective}`, color: statusColour(t.status) },
    { text: `  Mode: ${t.refresh_mode}    Schedule: ${t.schedule ?? '-'}` },
    { text: `  Stale: ${t.stale ? 'yes' : 'no'}    Staleness: ${t.staleness_secs === null ? '-' : `${t.staleness_secs.toFixed(1)}s`}` },
    { text: `  Tier: ${t.refresh_tier}    Populated: ${t.is_populated ? 'yes' : 'no'}` },
    { text: ' Refresh Statistics ', bold: true },
    { text: `  Total refreshes: ${t.total_refreshes}    Failed refreshes: ${t.failed_refreshes}`, color: t.failed_refreshes > 0 ? 'red' : undefined },
    { text: `  Avg duration: ${t.avg_duration_ms.toFixed(1)} ms    Last refresh: ${t.last_refresh_at ?? '-'}` },
    { text: titled('Recent Refreshes', ctx, 'timeline'), bold: true },
    ...(recent.length ? recent.map((e) => ({ text: `  ${e.start_time}  ${e.action}  ${e.status}  ${(e.duration_ms ?? 0).toFixed(0)}ms` })) : [{ text: '  No recent refreshes', dim: true }]),
    { text: ' Error Details & Upstream Health ', bold: true },
  ];
  if (t.last_error_message) lines.push({ text: `  Last Error: ${t.last_error_message}`, color: 'red' });
  if (t.consecutive_errors > 0) lines.push({ text: `  Consecutive errors: ${t.consecutive_errors}` });
  if (cascade) {
    lines.push({ text: '  ⚠ Upstream Health:', color: 'yellow' });
    const upstream = ctx.snapshot.issues.filter((i) => i.category === 'Broken Chain');
    for (const u of upstream) lines.push({ text: `    ✗ ${u.table} — ${u.detail}`, color: 'red' });
  }
  if (!t.last_error_message && !t.consecutive_errors && !cascade) lines.push({ text: '  No errors', color: 'green' });
  return { title: ` Detail — ${name} `, lines, selectable: ctx.tables.length, scrollTo: 0 };
}

function table<T>(ctx: ViewContext, title: string, source: SourceName, rows: T[], widths: number[], header: string[], cells: (r: T) => string[], colour?: (r: T) => string | undefined, selectable = true): ViewOutput {
  const lines: Line[] = rows.map((r) => ({ text: grid(widths, cells(r)), color: colour?.(r) }));
  return {
    title: titled(`${title} (${rows.length})`, ctx, source),
    lines: [{ text: grid(widths, header), color: 'cyan', bold: true }, ...(selectable ? selectRows(lines, ctx.selected, 0) : lines)],
    selectable: selectable ? rows.length : 0,
    scrollTo: ctx.selected + 1,
  };
}

const VIEW_FNS: Record<ViewKey, (ctx: ViewContext) => ViewOutput> = {
  dashboard,
  detail,
  dependencies: (ctx) => ({
    title: titled(`Dependency Graph (${ctx.snapshot.tree.length} nodes)`, ctx, 'tree'),
    lines: ctx.snapshot.tree.length
      ? selectRows(ctx.snapshot.tree.map((r) => ({ text: r.tree_line, color: r.node_type === 'source_table' ? 'gray' : statusColour(r.status) })), ctx.selected, 0)
      : [{ text: 'No stream tables found.', dim: true }],
    selectable: ctx.snapshot.tree.length,
    scrollTo: ctx.selected,
  }),
  log: (ctx) => ({
    title: titled(`Refresh Log (${ctx.snapshot.timeline.length} entries)`, ctx, 'timeline'),
    lines: selectRows(
      ctx.snapshot.timeline.map((e) => ({
        text: `${e.start_time}  ${e.stream_table}  ${e.action}  ${e.status}  ${(e.duration_ms ?? 0).toFixed(0)}ms${e.error_message ? '  ' + e.error_message : ''}`,
        color: e.status === 'COMPLETED' ? 'green' : e.status === 'FAILED' ? 'red' : undefined,
        dim: e.status !== 'COMPLETED' && e.status !== 'FAILED',
      })),
      ctx.selected,
      0,
    ),
    selectable: ctx.snapshot.timeline.length,
    scrollTo: ctx.selected,
  }),
  diagnostics: (ctx) =>
    table(ctx, 'Diagnostics', 'diagnostics', ctx.snapshot.diagnostics, [10, 24, 13, 13, 10], ['Schema', 'Name', 'Current', 'Recommended', 'Confidence', 'Reason'],
      (r) => [r.pgt_schema, r.pgt_name, r.current_mode, r.recommended_mode, r.confidence, r.reason], (r) => (r.recommended_mode === 'KEEP' ? 'green' : 'yellow')),
  cdc: (ctx) => {
    const buffers = table(ctx, 'Change Buffers', 'buffers', ctx.snapshot.buffers, [26, 26, 10, 13], ['Stream Table', 'Source', 'CDC Mode', 'Pending Rows', 'Buffer Size'],
      (r) => [r.stream_table, r.source_table, r.cdc_mode, String(r.pending_rows), humanBytes(r.buffer_bytes)],
      (r) => (r.buffer_bytes > 10_000_000 ? 'red' : r.buffer_bytes > 1_000_000 ? 'yellow' : 'green'));
    const triggers = ctx.snapshot.triggers;
    return {
      ...buffers,
      lines: [
        ...buffers.lines,
        { text: '' },
        { text: titled(`Trigger Inventory (${triggers.length} triggers)`, ctx, 'triggers'), bold: true },
        { text: grid([26, 36], ['Source Table', 'Trigger Name', 'Events']), color: 'cyan', bold: true },
        ...triggers.map((t) => ({ text: grid([26, 36], [t.source_table, t.trigger_name, `${t.trigger_type}${t.present ? '' : ' MISSING'}${t.enabled ? '' : ' DISABLED'}`]) })),
      ],
    };
  },
  config: (ctx) =>
    table(ctx, 'Configuration', 'settings', ctx.snapshot.settings, [40, 16, 6], ['Parameter', 'Value', 'Unit', 'Description'], (r) => [r.name, r.setting, r.unit ?? '', r.short_desc ?? '']),
  health: (ctx) => {
    const sev = ctx.snapshot.health.map((c) => normaliseSeverity(c.severity));
    const critical = sev.filter((s) => s === 'critical').length;
    const warnings = sev.filter((s) => s === 'warning').length;
    const failingTables = ctx.snapshot.tables.some((t) => failing(t.status));
    const overall = critical ? { text: '✗ DEGRADED', color: 'red' } : warnings || failingTables ? { text: '⚠ WARNINGS', color: 'yellow' } : { text: '● HEALTHY', color: 'green' };
    const t = table(ctx, 'Health Checks', 'health', ctx.snapshot.health, [24, 12], ['Check', 'Severity', 'Detail'], (r) => {
      const n = normaliseSeverity(r.severity);
      return [r.check_name, n === 'critical' ? '✗ critical' : n === 'warning' ? '⚠ warning' : n === 'ok' ? '✓ ok' : `? ${r.severity}`, r.detail ?? ''];
    }, (r) => ({ critical: 'red', warning: 'yellow', ok: 'green', other: undefined })[normaliseSeverity(r.severity)]);
    return {
      ...t,
      lines: [
        { text: ` System Health Overview  ${overall.text}  ${ctx.snapshot.tables.length} stream tables  ${sev.length} checks (${critical} critical, ${warnings} warnings)`, color: overall.color, bold: true },
        ...t.lines,
      ],
      scrollTo: t.scrollTo + 1,
    };
  },
  alerts: (ctx) => ({
    title: ` Alerts (${ctx.alerts.length}) `,
    lines: ctx.alerts.length
      ? ctx.alerts.map((a) => ({
          text: `${a.severity === 'critical' ? '✗' : a.severity === 'warning' ? '⚠' : '●'} ${a.time} ${a.database && ctx.cluster ? `[${a.database}] ` : ''}${a.message}`,
          color: a.severity === 'critical' ? 'red' : a.severity === 'warning' ? 'yellow' : undefined,
        }))
      : [{ text: ' No alerts', dim: true }],
    selectable: ctx.alerts.length,
    scrollTo: ctx.alerts.length,
    stickBottom: true,
  }),
  workers: (ctx) => {
    const pool = ctx.snapshot.workers[0];
    const jobs = table(ctx, 'Job Queue', 'jobs', ctx.snapshot.jobs, [10, 30, 10, 10, 26], ['#', 'Table', 'Kind', 'Status', 'Queued At', 'Duration'],
      (j) => [j.job_id, j.unit_key, j.unit_kind, j.status, j.enqueued_at ?? '-', j.duration_ms === null ? '-' : `${j.duration_ms.toFixed(1)}ms`]);
    return {
      ...jobs,
      title: titled(`Workers (${pool ? `${pool.active_workers}/${pool.max_workers} active` : 'unknown'})`, ctx, 'workers'),
      lines: [
        { text: pool ? `  Active ${pool.active_workers}  Max ${pool.max_workers}  Per-DB cap ${pool.per_db_cap}  Mode ${pool.parallel_mode}` : '  (no worker pool data)', dim: !pool },
        { text: jobs.title, bold: true },
        ...jobs.lines,
      ],
      scrollTo: jobs.scrollTo + 2,
    };
  },
  fuse: (ctx) => {
    const byName = new Map(ctx.snapshot.tables.map((t) => [qn(t), t]));
    const blown = ctx.snapshot.fuses.filter((f) => f.fuse_state.toLowerCase() === 'blown');
    const t = table(ctx, 'Fuse', 'fuses', ctx.snapshot.fuses, [28, 12, 7, 30], ['Stream Table', 'Fuse State', 'Errors', 'Last Error', 'Blown At'], (f) => {
      const st = f.fuse_state.toUpperCase();
      const isBlown = st === 'BLOWN';
      return [f.stream_table, isBlown ? '✗ BLOWN' : st === 'TRIPPED' ? '⚠ TRIPPED' : `✓ ${st}`, String(byName.get(f.stream_table)?.consecutive_errors ?? 0),
        (isBlown ? f.blow_reason : byName.get(f.stream_table)?.last_error_message) ?? '-', f.blown_at ?? '-'];
    }, (f) => (f.fuse_state.toLowerCase() === 'blown' ? 'red' : undefined));
    const sel = ctx.snapshot.fuses[ctx.selected];
    const panel: Line[] = sel
      ? [{ text: ' Fuse Detail ', bold: true }, { text: ` Table: ${sel.stream_table}` }, { text: ` State: ${sel.fuse_state.toUpperCase()}` },
         ...(sel.fuse_state.toLowerCase() === 'blown' ? [{ text: '' }, { text: ` To reset: SELECT pgtrickle.reset_fuse('${sel.stream_table}');`, color: 'yellow' }] : [])]
      : [];
    return { ...t, title: titled(`Fuse & Circuit Breaker (${blown.length} blown, ${ctx.snapshot.fuses.length} total)`, ctx, 'fuses'), lines: [...t.lines, { text: '' }, ...panel] };
  },
  watermarks: (ctx) =>
    table(ctx, 'Watermarks & Source Gating', 'watermarks', ctx.snapshot.watermarks, [24, 8, 14], ['Group', 'Members', 'Tolerance (s)', 'Created At'],
      (g) => [g.group_name, String(g.source_count), g.tolerance_secs.toFixed(1), g.created_at ?? '-']),
  delta: (ctx) => {
    const t = ctx.tables[ctx.selected];
    return {
      title: t ? ` Delta Inspector — ${qn(t)} ` : ' Delta Inspector — select a stream table on Dashboard ',
      lines: [
        { text: ' Delta SQL ', bold: true },
        { text: `  pgtrickle explain ${t ? qn(t) : '<name>'}              the plan of the delta statement` },
        { text: `  pgtrickle explain ${t ? qn(t) : '<name>'} --analyze    EXPLAIN ANALYZE, rolled back` },
        { text: `  pgtrickle explain ${t ? qn(t) : '<name>'} --operators  operator tree and strategy` },
        { text: `  pgtrickle explain ${t ? qn(t) : '<name>'} --sql        the delta SQL (paste it into psql)` },
      ],
      selectable: ctx.tables.length,
      scrollTo: 0,
    };
  },
  issues: (ctx) => {
    const issues = ctx.snapshot.issues;
    if (!issues.length) return { title: ' DAG Issues (0) ', lines: [{ text: ' ✓ No issues detected ', color: 'green' }], selectable: 0, scrollTo: 0 };
    const critical = issues.filter((i) => i.severity === 'error').length;
    const warnings = issues.filter((i) => i.severity === 'warning').length;
    const t = table(ctx, 'DAG Issues', 'tables', issues, [10, 14, 28, 56], ['Sev', 'Category', 'Table', 'Summary', 'Blast'],
      (i) => [i.severity === 'error' ? '✗ error' : i.severity === 'warning' ? '⚠ warning' : 'ℹ info', i.category, i.table, i.summary, String(i.blast)],
      (i) => (i.severity === 'error' ? 'red' : i.severity === 'warning' ? 'yellow' : undefined));
    return { ...t, lines: [{ text: ` Issue Summary  ${critical} critical  ${warnings} warnings  ${issues.length - critical - warnings} info  ${issues.length} total issues`, bold: true }, ...t.lines], scrollTo: t.scrollTo + 1 };
  },
  cluster: (ctx) => {
    const nodes = ctx.snapshot.nodes;
    const now = Date.now();
    const lines: Line[] = [{ text: grid([22, 18, 8, 12], ['Node', 'Host', 'PID', 'Heartbeat', 'Databases']), color: 'cyan', bold: true }];
    for (const n of nodes) {
      const age = Math.max(0, Math.round((now - Date.parse(n.last_heartbeat)) / 1000));
      lines.push({ text: grid([22, 18, 8, 12], [n.node, n.host ?? '-', String(n.pid ?? '-'), `${age}s ago`, `${n.databases.length}: ${n.databases.join(', ')}`]), color: age > 10 ? 'yellow' : 'green' });
    }
    if (!nodes.length) lines.push({ text: ' No live nodes', dim: true });
    return { title: titled(`Cluster (${nodes.length} nodes, ${nodes.reduce((n, x) => n + x.databases.length, 0)} leased databases)`, ctx, 'nodes'), lines: selectRows(lines, ctx.selected, 1), selectable: nodes.length, scrollTo: ctx.selected + 1 };
  },
};

export function viewLines(view: ViewKey, ctx: ViewContext): ViewOutput {
  return VIEW_FNS[view](ctx);
}
