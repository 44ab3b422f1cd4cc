/**
 * The dashboard, rendered by ink's test renderer against a real database:
 * start, switch views, filter, open a detail, an alert arriving by NOTIFY, the
 * database going away. (The tmux-driven run of the real binary is in
 * test/tui-tmux.test.ts.)
 */
import { render } from 'ink-testing-library';
import React from 'react';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, startSources, type DashboardSource } from '../src/cli/tui.ts';
import { alertLine, cascadeStale, detectIssues } from '../src/cli/tui-model.ts';
import { freshDatabase, type TestDatabase } from './helpers/db.ts';

const h = React.createElement;

async function until(frame: () => string | undefined, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = frame() ?? '';
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`screen never matched ${pattern}:\n${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const settle = () => new Promise((r) => setTimeout(r, 80));

describe('the dashboard (ink test renderer, real database)', () => {
  let db: TestDatabase;
  let source: DashboardSource;
  beforeAll(async () => {
    db = await freshDatabase();
    await db.query('CREATE TABLE orders (id int PRIMARY KEY, region text, amount numeric)');
    await db.query("INSERT INTO orders SELECT g, 'r' || (g % 3), g FROM generate_series(1, 20) g");
    await db.query("SELECT pgtrickle.create_stream_table('orders_by_region', 'SELECT region, sum(amount) AS total FROM orders GROUP BY region', '1m', 'FULL')");
    await db.query("SELECT pgtrickle.create_stream_table('orders_top', 'SELECT region FROM orders_by_region WHERE total > 10', '1m', 'FULL')");
    source = startSources({ connectionString: db.url, intervalMs: 300 });
  });
  afterAll(async () => {
    await source?.stop();
    await db?.drop();
  });

  it('shows the stream tables, switches views, filters, opens a detail and receives alerts', async () => {
    const ui = render(h(App, { source }));
    try {
      let screen = await until(ui.lastFrame, /● connected[\s\S]*orders_by_region/);
      expect(screen).toMatch(/pg_trickle {2}Dashboard /);
      expect(screen).toMatch(/2 total {2}● 2 active/);
      expect(screen).toMatch(/2 of 2 tables/);
      expect(screen).toMatch(/\[1\]Dashboard {2}2-Detail {2}3-Dependencies/);

      await settle();

      ui.stdin.write('3');
      screen = await until(ui.lastFrame, /Dependency Graph \(3 nodes\)/);
      expect(screen).toMatch(/public\.orders_by_region\n?[\s\S]*├── public\.orders_top[\s\S]*└── public\.orders \[src\]/);

      await settle();

      ui.stdin.write('1');
      await settle();
      await settle();
      ui.stdin.write('/');
      await settle();
      for (const ch of 'top') ui.stdin.write(ch), await settle();
      screen = await until(ui.lastFrame, /\/top█/);
      await settle();
      ui.stdin.write('5'); // typed into the filter, not a view switch
      await settle();
      screen = await until(ui.lastFrame, /\/top5█/);
      expect(screen).toMatch(/ Dashboard /);
      await settle();
      ui.stdin.write('\x7f'); // backspace
      await settle();
      await settle();
      ui.stdin.write('\r');
      screen = await until(ui.lastFrame, /1 of 2 tables \(filter: top\)/);
      expect(screen).not.toMatch(/orders_by_region {2,}public/);

      await settle();

      ui.stdin.write('\r'); // Enter on the Dashboard: the Detail of the selected (only) row
      screen = await until(ui.lastFrame, / Detail — public\.orders_top /);
      expect(screen).toMatch(/orders_top — Properties/);
      expect(screen).toMatch(/Mode: FULL {4}Schedule: 1m/);

      await settle();

      ui.stdin.write('\x1b'); // Esc: back to the Dashboard, filter cleared
      screen = await until(ui.lastFrame, /2 of 2 tables/);

      await settle();

      ui.stdin.write('9');
      await until(ui.lastFrame, / Alerts \(0\) [\s\S]*No alerts/);
      await db.query(`NOTIFY pg_trickle_alert, '{"severity":"critical","message":"boom"}'`);
      await db.query(`NOTIFY pg_trickle_alert, 'hello'`);
      screen = await until(ui.lastFrame, / Alerts \(2\) /);
      expect(screen).toMatch(/✗ \d\d:\d\d:\d\d boom/);
      expect(screen).toMatch(/● \d\d:\d\d:\d\d hello/);

      await settle();

      ui.stdin.write('8');
      screen = await until(ui.lastFrame, / Health Checks /);
      // health_check() may not be in this catalog yet: then the title says what it needs
      expect(screen).toMatch(/System Health Overview|needs pgtrickle\.health_check\(\)/);

      await settle();

      ui.stdin.write('?');
      screen = await until(ui.lastFrame, /Help — Health Checks — press \? or Esc to close/);
      await settle();
      ui.stdin.write('q'); // closes help, does not quit
      screen = await until(ui.lastFrame, /System Health Overview|needs pgtrickle\.health_check/);
      expect(screen).not.toMatch(/Help — /);
    } finally {
      ui.unmount();
    }
  });

  it('shows a failing stream table first, its downstream as cascade-stale, and a Broken Chain issue', async () => {
    await db.query("SELECT pgtrickle.alter_stream_table('orders_by_region', status => 'SUSPENDED')");
    const ui = render(h(App, { source }));
    try {
      let screen = await until(ui.lastFrame, /⚠ 1 cascade-stale/);
      expect(screen).toMatch(/✗ 1 error/);
      expect(screen).toMatch(/orders_by_region\s+public\s+SUSPENDED[\s\S]*✗ err[\s\S]*orders_top[\s\S]*⚠ cascade/);
      await settle();
      ui.stdin.write('i');
      screen = await until(ui.lastFrame, /Broken Chain/);
      expect(screen).toMatch(/✗ error\s+Broken Chain\s+public\.orders_by_region\s+orders_by_region in SUSPENDED — 1 downst/);
      expect(screen).toMatch(/1 critical/);
    } finally {
      ui.unmount();
      await db.query("SELECT pgtrickle.resume_stream_table('orders_by_region')");
    }
  });

  it('says the database is unreachable instead of crashing', async () => {
    const gone = startSources({ connectionString: 'postgres://postgres@127.0.0.1:1/nowhere', intervalMs: 300 });
    const ui = render(h(App, { source: gone }));
    try {
      const screen = await until(ui.lastFrame, /✗ disconnected/);
      expect(screen).toMatch(/⚠ Connecting: .*ECONNREFUSED/);
      expect(screen).toMatch(/no poll yet/);
    } finally {
      ui.unmount();
      await gone.stop();
    }
  });
});

describe('dashboard logic', () => {
  const st = (name: string, status = 'ACTIVE') => ({
    pgt_name: name, pgt_schema: 'public', status, refresh_mode: 'FULL', is_populated: true, total_refreshes: 1, successful_refreshes: 1, failed_refreshes: 0,
    total_rows_inserted: 0, total_rows_deleted: 0, avg_duration_ms: 1, last_refresh_action: null, last_refresh_status: null, last_refresh_at: null,
    staleness_secs: null, stale: false, consecutive_errors: 0, schedule: '1m', refresh_tier: 'hot', last_error_message: null,
  });
  const row = (node: string, depth: number, node_type: 'stream_table' | 'source_table' = 'stream_table') => ({ tree_line: node, node, node_type, depth, status: null, refresh_mode: null });

  it('cascade staleness follows the graph: descendants of a failing table, not the table, not siblings', () => {
    const tables = [st('a', 'ERROR'), st('b'), st('c'), st('d')];
    const tree = [row('public.a', 0), row('public.b', 1), row('public.c', 2), row('public.src', 1, 'source_table'), row('public.d', 0)];
    expect([...cascadeStale(tables, tree)].sort()).toEqual(['public.b', 'public.c']);
    const issues = detectIssues({ tables, tree, buffers: [], fuses: [] });
    expect(issues).toEqual([expect.objectContaining({ category: 'Broken Chain', summary: 'a in ERROR — 2 downstream affected', blast: 3 })]);
  });

  it('alert severity and message come from the event when the payload has none (spec §7.8)', () => {
    const at = new Date('2024-01-02T03:04:05Z');
    expect(alertLine({ event: 'refresh_failed', st: 'public.x', error: 'boom' }, at)).toEqual({ severity: 'critical', time: '03:04:05', message: 'refresh_failed public.x: boom', database: undefined });
    expect(alertLine({ event: 'stale_data', st: 'public.x' }, at).severity).toBe('warning');
    expect(alertLine({ event: 'resumed', st: 'public.x' }, at).severity).toBe('info');
    expect(alertLine({ severity: 'WARN', detail: 'd' }, at)).toMatchObject({ severity: 'warning', message: 'd' });
    expect(alertLine('plain', at)).toMatchObject({ severity: 'info', message: 'plain' });
  });
});
