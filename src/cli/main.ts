/**
 * `pgtrickle` — a thin layer over the library (src/index.ts, the only module
 * of src/ it imports). Errors print one line, `error: <message>`, on stderr;
 * the exit code is 2 for "not found" and usage errors, 1 for every other
 * failure (spec/tui-cli.md §4). Errors are told apart by class, which the
 * library derives from the SQLSTATE, never by message text.
 */
import { Command, CommanderError, Option } from 'commander';
import * as api from '../index.ts';
import {
  CompilerPool,
  describeError,
  loadConfig,
  NotFoundError,
  PG_TRICKLE_VERSION,
  PRODUCT_VERSION,
  startCoordinator,
  type Alert,
  type ConfigFlags,
} from '../index.ts';
import { completionScript, SHELLS, type Shell } from './completions.ts';
import { resolveConnectionString } from './connection.ts';
import { runDemo } from './demo.ts';
import { FORMATS, render, renderJson, type ColumnSpec, type Format } from './format.ts';
import { createCliLogger, LOG_FORMATS, type LogFormat } from './log-format.ts';
import { registerObserveCommands } from './observe.ts';
import { CliError, globals, out, progress, withClient } from './run.ts';
import { registerWatchCommand } from './watch.ts';

/** The subcommands that take `--format table|json|csv` (spec §3, plus ours). */
const FORMAT_COMMANDS = new Set([
  'list', 'status', 'diag', 'cdc', 'graph', 'config', 'health', 'workers', 'fuse', 'watermarks', 'explain', 'nodes', 'history', 'alerts',
]);

export function buildProgram(): Command {
  const program = new Command('pgtrickle')
    .description('Stream tables for PostgreSQL, maintained by an external coordinator')
    .version(`pgtrickle ${PRODUCT_VERSION} (pg_trickle ${PG_TRICKLE_VERSION} SQL API)`, '--version')
    .option('-U, --url <url>', 'connection URL (or env PGTRICKLE_URL)')
    .option('--host <host>', 'server host (or env PGHOST)')
    .option('--port <port>', 'server port (or env PGPORT)')
    .option('--dbname <name>', 'database name (or env PGDATABASE)')
    .option('--user <user>', 'user name (or env PGUSER)')
    .option('--password <password>', 'password (or env PGPASSWORD)')
    .addOption(new Option('-f, --format <format>', 'output format (default: table)').choices(FORMATS))
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride();

  program
    .command('start')
    .description('run the coordinator: install the catalog and refresh due stream tables until SIGINT/SIGTERM')
    .option('-c, --config <file>', 'JSON configuration file (or env PGTRICKLE_CONFIG)')
    .option('-d, --database <url...>', 'database to manage (repeatable; or env DATABASE_URL); none = embedded PostgreSQL 18')
    .option('--nats-url <url>', 'NATS server for clustering (or env NATS_URL)')
    .option('--data-dir <dir>', 'data directory of the embedded PostgreSQL', undefined)
    .option('--embedded-port <port>', 'port of the embedded PostgreSQL', (v) => Number(v))
    .option('--scheduler-interval-ms <ms>', 'scheduler wake period', (v) => Number(v))
    .option('--metrics-port <port>', 'serve /metrics and /healthz on this port (or env PGTRICKLE_METRICS_PORT)', (v) => Number(v))
    .option('--discover <url...>', 'also manage every database with the pgtrickle catalog on this server (admin URL)')
    .option('--node-id <id>', 'this node\'s name in the cluster (or env PGTRICKLE_NODE_ID; default host-pid)')
    .option('--lease-ttl-ms <ms>', 'a database whose owner stops renewing is taken over within this', (v) => Number(v))
    .addOption(new Option('--log-format <format>', 'log lines: pretty on a terminal, JSON otherwise (auto), or always one (or env PGTRICKLE_LOG_FORMAT)').choices(LOG_FORMATS))
    .action(async (opts: ConfigFlags & { embeddedPort?: number; logFormat?: LogFormat }) => {
      const { logFormat, embeddedPort, ...flags } = opts;
      const config = loadConfig({ ...flags, port: embeddedPort });
      const log = createCliLogger(config.logLevel, logFormat ?? (process.env.PGTRICKLE_LOG_FORMAT as LogFormat | undefined));
      const coordinator = await startCoordinator(config, log);
      for (const url of coordinator.databaseUrls) out(`pgtrickle: managing ${url.replace(/:[^:@/]*@/, ':***@')}`);
      if (coordinator.operationsPort !== null) out(`pgtrickle: /metrics and /healthz on port ${coordinator.operationsPort}`);
      if (coordinator.embedded) {
        out(`pgtrickle: embedded PostgreSQL 18 is running; connect with:\n  psql ${coordinator.databaseUrls[0]}`);
      }
      out('pgtrickle: coordinator running (Ctrl-C to stop)');
      await new Promise<void>((resolve) => {
        const shutdown = (signal: string) => {
          log.info({ signal }, 'shutting down');
          void coordinator.stop().then(resolve);
        };
        process.once('SIGINT', () => shutdown('SIGINT'));
        process.once('SIGTERM', () => shutdown('SIGTERM'));
      });
      out('pgtrickle: stopped');
    });

  program
    .command('demo')
    .description('create sample tables and a stream table, change the data, and watch it follow')
    .option('-d, --database <url...>', 'database to use instead of the embedded PostgreSQL')
    .option('--data-dir <dir>', 'data directory of the embedded PostgreSQL')
    .action(async (opts: ConfigFlags) => {
      const g = globals(program);
      const database = opts.database ?? (g.url ?? process.env.PGTRICKLE_URL ? [resolveConnectionString(g)] : undefined);
      const config = loadConfig({ ...opts, database, logLevel: process.env.PGTRICKLE_LOG_LEVEL ?? 'warn' });
      await runDemo(config, createCliLogger(config.logLevel), out);
    });

  program
    .command('create <name> <query>')
    .description('create a stream table')
    .option('--schedule <schedule>', "duration (30s, 5m, 1h30m), cron expression, or 'calculated'")
    .option('--mode <mode>', 'AUTO, FULL or DIFFERENTIAL')
    .option('--no-initialize', 'create empty; the scheduler populates it')
    .action(async (name: string, query: string, opts: { schedule?: string; mode?: string; initialize: boolean }, cmd: Command) => {
      // Compile here, in a worker thread, so an unsupported query is reported now (DESIGN D2).
      const compiler = new CompilerPool();
      try {
        const result = await withClient(cmd, (c) =>
          api.createStreamTable(c, { name, query, schedule: opts.schedule, refreshMode: opts.mode, initialize: opts.initialize }, compiler),
        );
        if (result.notice) process.stderr.write(`notice: ${result.notice}\n`);
        out(`Created stream table '${name}'.`);
      } finally {
        await compiler.close();
      }
    });

  program
    .command('alter <name>')
    .description('change a stream table')
    .option('--mode <mode>', 'AUTO, FULL or DIFFERENTIAL')
    .option('--schedule <schedule>', 'new schedule')
    .option('--tier <tier>', 'hot, warm, cold or frozen')
    .option('--status <status>', 'ACTIVE, SUSPENDED, ERROR or INITIALIZING')
    .option('--query <query>', 'new defining query')
    .action(async (name: string, opts: { mode?: string; schedule?: string; tier?: string; status?: string; query?: string }, cmd: Command) => {
      const options: api.AlterOptions = { refreshMode: opts.mode, schedule: opts.schedule, tier: opts.tier, status: opts.status, query: opts.query };
      if (Object.values(options).every((v) => v === undefined)) {
        throw new Error('specify at least one option to alter (--mode, --schedule, --tier, --status, --query)');
      }
      await withClient(cmd, (c) => api.alterStreamTable(c, name, options));
      out(`Altered stream table '${name}'.`);
    });

  program
    .command('drop <name>')
    .description('drop a stream table (and the stream tables that read it)')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await withClient(cmd, (c) => api.dropStreamTable(c, name));
      out(`Dropped stream table '${name}'.`);
    });

  program
    .command('refresh [name]')
    .description('refresh a stream table now (the same executor the scheduler uses)')
    .option('--all', 'refresh every active stream table, upstream first')
    .action(async (name: string | undefined, opts: { all?: boolean }, cmd: Command) => {
      if (!name && !opts.all) throw new Error('specify a stream table name or --all');
      await withClient(cmd, async (c) => {
        if (name) {
          const action = await api.refreshStreamTable(c, name);
          out(`Refreshed '${name}' (${action}).`);
          return;
        }
        await api.refreshAllStreamTables(c, (done, position, total) => progress(`[${position}/${total}] ${done.name}: ${done.action}`));
        out('All stream tables refreshed.');
      });
    });

  program
    .command('list')
    .description('list stream tables')
    .action(async (_opts: unknown, cmd: Command) => {
      const rows = await withClient(cmd, (c) => api.listStreamTables(c));
      print(globals(cmd).format, rows, [
        { label: 'Name', value: (r) => r.name },
        { label: 'Schema', value: (r) => r.schema },
        { label: 'Status', value: (r) => r.status },
        { label: 'Mode', value: (r) => r.refresh_mode },
        { label: 'Populated', value: (r) => r.is_populated },
        { label: 'Errors', value: (r) => r.consecutive_errors },
        { label: 'Schedule', value: (r) => r.schedule },
        { label: 'Staleness', value: (r) => r.staleness },
      ]);
    });

  program
    .command('status <name>')
    .description('show one stream table')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const g = globals(cmd);
      const s = await withClient(cmd, (c) => api.streamTableStatus(c, name));
      // status is one object: JSON for json and csv alike (spec §3)
      if (g.format !== 'table') {
        out(renderJson(s));
        return;
      }
      out(`Stream Table: ${s.qualified_name}`);
      out(`Status:       ${s.status}`);
      out(`Mode:         ${s.refresh_mode}${s.effective_refresh_mode ? ` (last refresh: ${s.effective_refresh_mode})` : ''}`);
      out(`Schedule:     ${s.schedule ?? 'calculated'}`);
      out(`Populated:    ${s.is_populated ? 'yes' : 'no'}`);
      out(`Stale:        ${s.stale ? 'yes' : 'no'}`);
      if (s.staleness) out(`Staleness:    ${s.staleness}`);
      out(`Plan:         ${s.plan}`);
      out('');
      out('Refresh Statistics:');
      out(`  Total:      ${s.total_refreshes}`);
      out(`  Successful: ${s.successful_refreshes}`);
      out(`  Failed:     ${s.failed_refreshes}`);
      if (s.avg_duration_ms !== null) out(`  Avg ms:     ${s.avg_duration_ms.toFixed(1)}`);
      if (s.last_refresh_at) out(`  Last:       ${s.last_refresh_at}`);
      if (s.consecutive_errors > 0) out(`  Consec err: ${s.consecutive_errors}`);
      if (s.last_error_message) out(`  Last error: ${s.last_error_message}`);
    });

  program
    .command('explain <name>')
    .description('the plan of the delta statement (explain_delta); --operators: the operator tree, strategy and delta SQL (explain_st)')
    .option('--analyze', 'EXPLAIN (ANALYZE, BUFFERS) of the delta statement, in a transaction that is rolled back')
    .option('--operators', 'the stored plan: operator tree, refresh strategy and delta SQL (explain_st)')
    .option('--sql', 'only the delta SQL')
    .option('--dedup', 'dedup statistics of differential refreshes (dedup_stats)')
    .action(async (name: string, opts: { analyze?: boolean; operators?: boolean; sql?: boolean; dedup?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const lines = (rows: string[]) => out(g.format === 'json' ? renderJson(rows) : rows.join('\n'));
      if (opts.dedup) {
        const rows = await withClient(cmd, (c) => api.dedupStats(c));
        out(render(g.format, rows, [
          { label: 'Total Diff Refreshes', value: (r) => r.total_diff_refreshes },
          { label: 'Dedup Needed', value: (r) => r.dedup_needed },
          { label: 'Dedup Ratio %', value: (r) => r.dedup_ratio_pct.toFixed(1) },
        ]));
        return;
      }
      if (opts.analyze) {
        const plan = await withClient(cmd, (c) => api.explainDeltaAnalyze(c, name));
        if (!plan) throw new CliError(`not found: stream table '${name}' not found or has no delta SQL`, 2);
        lines(plan);
        return;
      }
      if (!opts.operators && !opts.sql) {
        const plan = await withClient(cmd, async (c) => {
          try {
            return await api.explainDelta(c, name, 'text');
          } catch (raw) {
            if (!(raw instanceof api.FunctionMissingError)) throw raw;
            process.stderr.write('notice: this catalog has no pgtrickle.explain_delta() yet; showing the stored plan (explain --operators)\n');
            return null;
          }
        });
        if (plan) {
          if (plan.length === 0) throw new CliError(`not found: stream table '${name}' not found or has no delta SQL`, 2);
          lines(plan);
          return;
        }
      }
      const rows = await withClient(cmd, (c) => api.explainStreamTable(c, name));
      if (opts.sql) {
        const sql = rows.find((r) => r.property === 'delta_query')?.value;
        if (!sql) throw new CliError(`not found: stream table '${name}' has no delta SQL (not DIFFERENTIAL, or no plan yet)`, 2);
        out(g.format === 'json' ? renderJson([sql]) : sql);
        return;
      }
      if (g.format === 'json') {
        out(renderJson(Object.fromEntries(rows.map((r) => [r.property, r.value]))));
        return;
      }
      if (g.format === 'csv') {
        out(render('csv', rows, [{ label: 'Property', value: (r) => r.property }, { label: 'Value', value: (r) => r.value }]));
        return;
      }
      for (const { property, value } of rows) {
        if (value === null) continue;
        if (value.includes('\n')) out(`${property}:\n  ${value.replaceAll('\n', '\n  ')}`);
        else out(`${property}: ${value}`);
      }
    });

  program
    .command('graph')
    .description('print the dependency graph of stream tables and their sources')
    .action(async (_opts: unknown, cmd: Command) => {
      const g = globals(cmd);
      const rows = await withClient(cmd, (c) => api.dependencyTree(c));
      if (g.format === 'json') out(renderJson(rows));
      else if (g.format === 'csv') {
        // spec §5.10: tree_line and node always quoted, the rest raw
        const q = (t: string) => `"${t.replaceAll('"', '""')}"`;
        out(['tree_line,node,node_type,depth,status,refresh_mode', ...rows.map((r) => [q(r.tree_line), q(r.node), r.node_type, r.depth, r.status ?? '', r.refresh_mode ?? ''].join(','))].join('\n'));
      } else out(rows.length ? rows.map((r) => r.tree_line).join('\n') : 'No stream tables found.');
    });

  program
    .command('alerts')
    .description('print alerts as they happen: from the cluster\'s NATS when configured, else LISTEN pg_trickle_alert on the database')
    .option('--follow', 'keep printing until interrupted (the default; kept for pg_trickle compatibility)')
    .option('--nats-url <url>', 'subscribe on the cluster\'s NATS (or env NATS_URL): every database, kept history first with --replay')
    .option('--namespace <name>', 'the cluster\'s NATS namespace', 'pgtrickle')
    .option('--database <name>', 'with NATS: only this database\'s alerts')
    .option('--replay', 'with NATS: print the kept alert history first')
    .action(async (opts: { natsUrl?: string; namespace: string; database?: string; replay?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const printAlert = (alert: Alert) => {
        if (g.format === 'json') out(JSON.stringify(alert));
        else {
          const { event, st, at, database, pgt_schema: _s, pgt_name: _n, ...extra } = alert;
          out(`${String(at)}  ${String(database).padEnd(16)} ${String(event).padEnd(22)} ${String(st ?? '-').padEnd(30)} ${JSON.stringify(extra)}`);
        }
      };
      const natsUrl = opts.natsUrl ?? process.env.NATS_URL;
      const follower = await api.followAlerts(
        natsUrl
          ? { natsUrl, namespace: opts.namespace, database: opts.database, replay: opts.replay }
          : { connectionString: resolveConnectionString(g) },
        printAlert,
      );
      process.stderr.write(`listening for alerts on ${follower.from} (Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
        void follower.ended.then(resolve);
      });
      await follower.stop();
    });

  program
    .command('nodes')
    .description('list the live coordinator nodes of a cluster and the databases each schedules')
    .option('--nats-url <url>', 'the cluster\'s NATS server (or env NATS_URL)')
    .option('--namespace <name>', 'the cluster\'s NATS namespace', 'pgtrickle')
    .action(async (opts: { natsUrl?: string; namespace: string }, cmd: Command) => {
      const g = globals(cmd);
      const url = opts.natsUrl ?? process.env.NATS_URL;
      if (!url) throw new Error('nodes needs the cluster\'s NATS server: pass --nats-url or set NATS_URL (a coordinator without NATS is a single node)');
      const rows = await api.listClusterNodes({ natsUrl: url, namespace: opts.namespace });
      if (g.format === 'json') out(renderJson(rows));
      else if (rows.length === 0 && g.format === 'table') out('No live nodes.');
      else
        print(g.format, rows, [
          { label: 'Node', value: (r) => r.node },
          { label: 'Host', value: (r) => r.host },
          { label: 'PID', value: (r) => r.pid },
          { label: 'Last heartbeat', value: (r) => r.last_heartbeat },
          { label: 'Databases', value: (r) => `${r.databases.length}: ${r.databases.join(', ')}` },
        ]);
    });

  program
    .command('history <name>')
    .description('show recent refreshes of a stream table')
    .option('-n, --limit <n>', 'number of rows', (v) => Number(v), 20)
    .action(async (name: string, opts: { limit: number }, cmd: Command) => {
      const g = globals(cmd);
      const rows = await withClient(cmd, (c) => api.refreshHistory(c, name, opts.limit));
      print(g.format, rows, [
        { label: 'Id', value: (r) => r.refresh_id },
        { label: 'Started', value: (r) => r.start_time },
        { label: 'Action', value: (r) => r.action },
        { label: 'Status', value: (r) => r.status },
        { label: 'By', value: (r) => r.initiated_by },
        { label: 'Inserted', value: (r) => r.rows_inserted },
        { label: 'Deleted', value: (r) => r.rows_deleted },
        { label: 'Changes', value: (r) => r.delta_row_count },
        { label: 'ms', value: (r) => r.duration_ms },
        { label: 'Error', value: (r) => r.error_message },
      ]);
    });

  registerObserveCommands(program);
  registerWatchCommand(program);

  program
    .command('completions <shell>')
    .description(`print a shell completion script (${SHELLS.join(', ')}); needs no database`)
    .action((shell: string) => {
      if (!(SHELLS as readonly string[]).includes(shell)) throw new CliError(`unknown shell: ${shell} (expected one of ${SHELLS.join(', ')})`, 1);
      process.stdout.write(completionScript(program, shell as Shell));
    });

  program
    .command('tui', { isDefault: false })
    .description('the interactive dashboard (also what `pgtrickle` with no command opens on a terminal)')
    .option('--nats-url <url>', 'the cluster\'s NATS (or env NATS_URL): adds the cluster view and takes alerts from NATS')
    .option('--namespace <name>', 'the cluster\'s NATS namespace', 'pgtrickle')
    .option('--interval <ms>', 'poll period in milliseconds', (v) => Number(v), 2000)
    .action(async (opts: { natsUrl?: string; namespace: string; interval: number }, cmd: Command) => {
      const { runTui } = await import('./tui.ts');
      await runTui({ connectionString: resolveConnectionString(globals(cmd)), natsUrl: opts.natsUrl ?? process.env.NATS_URL, namespace: opts.namespace, intervalMs: opts.interval });
    });

  for (const sub of program.commands) {
    if (FORMAT_COMMANDS.has(sub.name())) sub.addOption(new Option('-f, --format <format>', 'output format (default: table)').choices(FORMATS));
  }

  // No subcommand: the dashboard on a terminal, the help elsewhere.
  program.action(async () => {
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      program.outputHelp();
      return;
    }
    const { runTui } = await import('./tui.ts');
    const g = globals(program);
    await runTui({ connectionString: resolveConnectionString(g), natsUrl: process.env.NATS_URL, namespace: 'pgtrickle', intervalMs: 2000 });
  });

  return program;
}

function print<T>(format: Format, rows: T[], columns: ColumnSpec<T>[]): void {
  out(render(format, rows, columns));
}

/** 2 for not found (spec/tui-cli.md §4), 1 for every other failure; by class, never by message. */
export function exitCode(raw: unknown): 1 | 2 {
  if (raw instanceof CliError) return raw.exitCode;
  return raw instanceof NotFoundError ? 2 : 1;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (raw) {
    if (raw instanceof CommanderError) {
      if (raw.code === 'commander.helpDisplayed' || raw.code === 'commander.version' || raw.exitCode === 0) return 0;
      return 2; // usage error; commander already printed it
    }
    process.stderr.write(`error: ${describeError(raw)}\n`);
    return exitCode(raw);
  }
}
