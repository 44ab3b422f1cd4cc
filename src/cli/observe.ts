/**
 * The read-only subcommands over pg_trickle's introspection functions
 * (spec/tui-cli.md §5.8–§5.16): diag, cdc, config, health, workers, fuse,
 * watermarks, export. Each prints table, JSON or CSV; a function this catalog
 * does not have yet is named in the error (run.ts), not a cryptic 42883.
 */
import type { Command } from 'commander';
import * as api from '../index.ts';
import { humanBytes, render, renderJson, type ColumnSpec } from './format.ts';
import { CliError, globals, out, withClient } from './run.ts';

const dash = (v: unknown) => (v === null || v === undefined || v === '' ? '-' : v);
const oneDecimal = (v: number | null | undefined) => (v === null || v === undefined ? '-' : v.toFixed(1));

export const HEALTH_COLUMNS: ColumnSpec<api.HealthCheckRow>[] = [
  { label: 'Check', value: (r) => r.check_name },
  { label: 'Severity', value: (r) => r.severity },
  { label: 'Detail', value: (r) => r.detail },
];

export function registerObserveCommands(program: Command): void {
  program
    .command('diag [name]')
    .description('recommend a refresh mode per stream table (recommend_refresh_mode)')
    .action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
      const rows = await withClient(cmd, (c) => api.recommendRefreshMode(c, name));
      out(
        render(
          globals(cmd).format,
          rows,
          [
            { label: 'Schema', value: (r) => r.pgt_schema },
            { label: 'Name', value: (r) => r.pgt_name },
            { label: 'Current', value: (r) => r.current_mode },
            { label: 'Recommended', value: (r) => r.recommended_mode },
            { label: 'Confidence', value: (r) => r.confidence },
            { label: 'Reason', value: (r) => r.reason },
          ],
          (r) => ({ schema: r.pgt_schema, name: r.pgt_name, current_mode: r.current_mode, recommended_mode: r.recommended_mode, confidence: r.confidence, reason: r.reason }),
        ),
      );
    });

  program
    .command('cdc')
    .description('change buffers: pending rows and bytes per source (change_buffer_sizes)')
    .action(async (_opts: unknown, cmd: Command) => {
      const rows = await withClient(cmd, (c) => api.changeBufferSizes(c));
      out(
        render(
          globals(cmd).format,
          rows,
          [
            { label: 'Stream Table', value: (r) => r.stream_table },
            { label: 'Source', value: (r) => r.source_table },
            { label: 'CDC Mode', value: (r) => r.cdc_mode },
            { label: 'Pending Rows', value: (r) => r.pending_rows },
            { label: 'Buffer Bytes', value: (r) => humanBytes(r.buffer_bytes) },
          ],
          (r) => ({ stream_table: r.stream_table, source_table: r.source_table, cdc_mode: r.cdc_mode, pending_rows: r.pending_rows, buffer_bytes: r.buffer_bytes }),
        ),
      );
    });

  program
    .command('config')
    .description('list the pg_trickle.* settings, or set one (ALTER SYSTEM + reload, or --database for this database only)')
    .option('--set <param=value>', 'set a pg_trickle.* setting')
    .option('--database', 'with --set: ALTER DATABASE … SET for the connected database instead of ALTER SYSTEM')
    .action(async (opts: { set?: string; database?: boolean }, cmd: Command) => {
      if (opts.set !== undefined) {
        const at = opts.set.indexOf('=');
        if (at < 0) throw new CliError('expected format: param=value', 1);
        const param = opts.set.slice(0, at).trim();
        const value = opts.set.slice(at + 1).trim();
        if (!/^pg_trickle\.[a-z0-9_]+$/.test(param)) throw new CliError(`not a pg_trickle setting: ${param} (expected pg_trickle.<name>)`, 1);
        await withClient(cmd, (c) => api.setSetting(c, param, value, opts.database ? 'database' : 'system'));
        out(opts.database ? `Set ${param} = ${value} for this database (new sessions read it).` : `Set ${param} = ${value} (reloaded configuration).`);
        return;
      }
      const rows = await withClient(cmd, (c) => api.listSettings(c));
      out(
        render(
          globals(cmd).format,
          rows,
          [
            { label: 'Parameter', value: (r) => r.name },
            { label: 'Value', value: (r) => r.setting },
            { label: 'Unit', value: (r) => r.unit },
            { label: 'Description', value: (r) => r.short_desc },
          ],
          (r) => ({ name: r.name, setting: r.setting, unit: r.unit, short_desc: r.short_desc }),
        ),
      );
    });

  program
    .command('health')
    .description('run the health checks (health_check); exits 1 when a check is critical')
    .action(async (_opts: unknown, cmd: Command) => {
      const rows = await withClient(cmd, (c) => api.healthCheck(c));
      out(render(globals(cmd).format, rows, HEALTH_COLUMNS, (r) => ({ check_name: r.check_name, severity: r.severity, detail: r.detail })));
      if (rows.some((r) => api.normaliseSeverity(r.severity) === 'critical')) throw new CliError('health check failed: critical issues found', 1);
    });

  program
    .command('workers')
    .description('the worker pool and recent parallel refresh jobs (worker_pool_status, parallel_job_status)')
    .action(async (_opts: unknown, cmd: Command) => {
      const { pool, jobs } = await withClient(cmd, async (c) => ({ pool: await api.workerPoolStatus(c), jobs: await api.parallelJobStatus(c) }));
      const format = globals(cmd).format;
      if (format === 'json') {
        out(renderJson({ pool, jobs: jobs.map((j) => ({ job_id: j.job_id, unit_key: j.unit_key, unit_kind: j.unit_kind, status: j.status, enqueued_at: j.enqueued_at, started_at: j.started_at, duration_ms: j.duration_ms })) }));
        return;
      }
      out(
        render(format, pool, [
          { label: 'Active Workers', value: (r) => r.active_workers },
          { label: 'Max Workers', value: (r) => r.max_workers },
          { label: 'Per-DB Cap', value: (r) => r.per_db_cap },
          { label: 'Mode', value: (r) => r.parallel_mode },
        ]),
      );
      if (jobs.length === 0) return;
      out('');
      out(
        render(format, jobs, [
          { label: 'Job', value: (r) => r.job_id },
          { label: 'Table / Key', value: (r) => r.unit_key },
          { label: 'Kind', value: (r) => r.unit_kind },
          { label: 'Status', value: (r) => r.status },
          { label: 'Enqueued At', value: (r) => dash(r.enqueued_at) },
          { label: 'Started At', value: (r) => dash(r.started_at) },
          { label: 'Duration (ms)', value: (r) => oneDecimal(r.duration_ms) },
        ]),
      );
    });

  program
    .command('fuse')
    .description('fuse (circuit breaker) state per stream table (fuse_status)')
    .action(async (_opts: unknown, cmd: Command) => {
      const rows = await withClient(cmd, (c) => api.fuseStatus(c));
      out(
        render(
          globals(cmd).format,
          rows,
          [
            { label: 'Stream Table', value: (r) => r.stream_table },
            { label: 'Mode', value: (r) => r.fuse_mode },
            { label: 'State', value: (r) => r.fuse_state },
            { label: 'Blown At', value: (r) => dash(r.blown_at) },
            { label: 'Reason', value: (r) => dash(r.blow_reason) },
          ],
          (r) => ({ stream_table: r.stream_table, fuse_mode: r.fuse_mode, fuse_state: r.fuse_state, blown_at: r.blown_at, blow_reason: r.blow_reason }),
        ),
      );
    });

  program
    .command('watermarks')
    .description('watermark groups (watermark_groups)')
    .action(async (_opts: unknown, cmd: Command) => {
      const rows = await withClient(cmd, (c) => api.watermarkGroups(c));
      out(
        render(globals(cmd).format, rows, [
          { label: 'Group', value: (r) => r.group_name },
          { label: 'Sources', value: (r) => r.source_count },
          { label: 'Tolerance (s)', value: (r) => oneDecimal(r.tolerance_secs) },
          { label: 'Created At', value: (r) => dash(r.created_at) },
        ]),
      );
    });

  program
    .command('export <name>')
    .description('print a SQL script that recreates the stream table (export_definition); psql -f runs it')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const script = await withClient(cmd, (c) => api.exportDefinition(c, name));
      if (script === null) throw new CliError(`not found: stream table '${name}' not found`, 2);
      process.stdout.write(script.endsWith('\n') ? script : script + '\n');
    });
}
