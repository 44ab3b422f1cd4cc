/**
 * `pgtrickle watch` (spec/tui-cli.md §5.17): the stream tables every N
 * seconds, full screen or appended, one line per table with --compact. Runs
 * until interrupted; a query error ends it with exit 1.
 */
import type { Command } from 'commander';
import type pg from 'pg';
import { openConnection, refreshStats, type RefreshStatsRow } from '../index.ts';
import { resolveConnectionString } from './connection.ts';
import { globals, toCliError } from './run.ts';

export interface WatchOptions {
  interval: number;
  compact?: boolean;
  color: boolean;
  append?: boolean;
  filter?: string;
}

const COLOUR = { green: '\x1b[32m', red: '\x1b[31m', yellow: '\x1b[33m', reset: '\x1b[0m' };

function colourOf(status: string): string {
  if (status === 'ACTIVE') return COLOUR.green;
  if (status === 'ERROR' || status === 'SUSPENDED') return COLOUR.red;
  return COLOUR.yellow;
}

/** One cycle's text (without the screen clear). */
export function watchFrame(rows: RefreshStatsRow[], o: WatchOptions, now = new Date()): string {
  const filter = o.filter?.toLowerCase();
  const shown = filter ? rows.filter((r) => `${r.pgt_schema}.${r.pgt_name}`.toLowerCase().includes(filter) || r.pgt_name.toLowerCase().includes(filter)) : rows;
  const lines = [`pg_trickle watch — ${now.toISOString().slice(11, 19)}`, ''];
  const paint = (status: string, line: string) => (o.color ? `${colourOf(status)}${line}${COLOUR.reset}` : line);
  const avg = (r: RefreshStatsRow, digits: number) => (r.total_refreshes > 0 ? r.avg_duration_ms.toFixed(digits) : '-');
  if (o.compact) {
    for (const r of shown) {
      lines.push(paint(r.status, `${r.pgt_schema}.${r.pgt_name}  ${r.status}  ${r.refresh_mode}  avg=${avg(r, 0)}${r.total_refreshes > 0 ? 'ms' : ''}  n=${r.total_refreshes}${r.stale ? ' STALE' : ''}`));
    }
  } else {
    const row = (cells: string[]) => [cells[0]!.padEnd(30), cells[1]!.padEnd(10), cells[2]!.padEnd(12), cells[3]!.padEnd(8), cells[4]!.padEnd(10), cells[5]!.padEnd(8)].join(' ').trimEnd();
    lines.push(row(['Name', 'Status', 'Mode', 'Stale', 'Avg (ms)', 'Total']));
    lines.push('-'.repeat(80));
    for (const r of shown) {
      lines.push(paint(r.status, row([`${r.pgt_schema}.${r.pgt_name}`, r.status, r.refresh_mode, r.stale ? 'Yes' : 'No', avg(r, 1), String(r.total_refreshes)])));
    }
  }
  return lines.join('\n') + '\n';
}

export function registerWatchCommand(program: Command): void {
  program
    .command('watch')
    .description('print the stream tables every few seconds until interrupted')
    .option('-n, --interval <secs>', 'seconds between updates', (v) => Number.parseInt(v, 10), 2)
    .option('--compact', 'one line per stream table')
    .option('--no-color', 'no ANSI colours')
    .option('--append', 'append each update instead of clearing the screen')
    .option('-f, --filter <text>', 'only stream tables whose name contains this')
    .action(async (opts: WatchOptions, cmd: Command) => {
      if (!Number.isInteger(opts.interval) || opts.interval < 1) throw new Error('--interval must be a whole number of seconds, at least 1');
      const client: pg.Client = await openConnection(resolveConnectionString(globals(cmd)), 'pgtrickle watch');
      let stop = false;
      let wake: (() => void) | undefined;
      const interrupt = () => {
        stop = true;
        wake?.();
      };
      process.once('SIGINT', interrupt);
      process.once('SIGTERM', interrupt);
      try {
        while (!stop) {
          const rows = await refreshStats(client).catch((raw) => {
            throw toCliError(raw, cmd);
          });
          process.stdout.write((opts.append ? '' : '\x1b[2J\x1b[H') + watchFrame(rows, opts) + (opts.append ? '\n' : ''));
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, opts.interval * 1000).unref();
          });
        }
      } finally {
        process.off('SIGINT', interrupt);
        process.off('SIGTERM', interrupt);
        await client.end().catch(() => {});
      }
    });
}
