/**
 * The interactive dashboard (spec/tui-cli.md §7), on ink 6 + React 19.
 * Two connections, as the spec has it: a poller (every `intervalMs`, or at
 * once on Ctrl+R; reconnects with back-off 1 s doubling to 30 s) and an alert
 * follower (LISTEN pg_trickle_alert, or the cluster's NATS when configured).
 * With NATS there is a Cluster view (`c`): nodes, the databases each owns,
 * heartbeats about to lapse. Views render plain text lines, so a terminal
 * (tmux) and ink's test renderer see the same thing.
 */
import { Box, render, Text, useApp, useInput, useStdout } from 'ink';
import type pg from 'pg';
import React, { useEffect, useState } from 'react';
import { describeError, followAlerts, openConnection, refreshStreamTable, type AlertFollower } from '../index.ts';
import { alertLine, dashboardOrder, emptySnapshot, poll, type AlertLine, type Snapshot } from './tui-model.ts';
import { VIEWS, viewLines, type Line, type ViewKey } from './tui-views.ts';

const h = React.createElement;

export type ConnState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

/** What the dashboard is fed: snapshots, connection changes, alerts; and the actions it can ask for. */
export interface DashboardSource {
  onSnapshot(listener: (s: Snapshot) => void): void;
  onConnection(listener: (state: ConnState, error?: string) => void): void;
  onAlert(listener: (a: AlertLine) => void): void;
  forcePoll(): void;
  refresh(name: string): Promise<string>;
  stop(): Promise<void>;
  readonly cluster: boolean;
}

export interface TuiOptions {
  connectionString: string;
  natsUrl?: string;
  namespace?: string;
  intervalMs: number;
}

/** The poller and the alert follower, with reconnect. */
export function startSources(o: TuiOptions): DashboardSource {
  const snapshotListeners: ((s: Snapshot) => void)[] = [];
  const connListeners: ((state: ConnState, error?: string) => void)[] = [];
  const alertListeners: ((a: AlertLine) => void)[] = [];
  let stopped = false;
  let client: pg.Client | null = null;
  let wake: (() => void) | null = null;
  let follower: AlertFollower | null = null;
  // the last of each, replayed to a listener that subscribes later (a view mounted after the first poll)
  let lastConn: [ConnState, string | undefined] = ['connecting', undefined];
  let lastSnapshot: Snapshot | null = null;
  const setConn = (state: ConnState, error?: string) => {
    lastConn = [state, error];
    connListeners.forEach((l) => l(state, error));
  };
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    wake = () => (clearTimeout(t), resolve());
  });

  const poller = (async () => {
    let backoff = 1000;
    let everConnected = false;
    while (!stopped) {
      if (!client) {
        try {
          client = await openConnection(o.connectionString, 'pgtrickle tui');
          client.on('error', () => {}); // a dropped connection is seen by the next query
          backoff = 1000;
          everConnected = true;
          setConn('connected');
          void startFollower();
        } catch (raw) {
          setConn(everConnected ? 'reconnecting' : 'disconnected', `Connecting: ${describeError(raw)}`);
          await sleep(backoff);
          backoff = Math.min(backoff * 2, 30_000);
          continue;
        }
      }
      const snapshot = await poll(client, { natsUrl: o.natsUrl, namespace: o.namespace });
      if (snapshot.errors.tables && (await client.query('SELECT 1').then(() => false, () => true))) {
        await client.end().catch(() => {});
        client = null;
        setConn('disconnected', `poll_stream_tables: ${snapshot.errors.tables}`);
        continue;
      }
      lastSnapshot = snapshot;
      snapshotListeners.forEach((l) => l(snapshot));
      await sleep(o.intervalMs);
    }
  })();

  async function startFollower(): Promise<void> {
    if (follower || stopped) return;
    try {
      follower = await followAlerts(o.natsUrl ? { natsUrl: o.natsUrl, namespace: o.namespace } : { connectionString: o.connectionString }, (alert) =>
        alertListeners.forEach((l) => l(alertLine(alert as unknown as Record<string, unknown>))),
      );
      void follower.ended.then(() => {
        follower = null; // LISTEN connection lost: the next successful poll connection starts it again
      });
    } catch {
      follower = null;
    }
  }

  return {
    cluster: !!o.natsUrl,
    onSnapshot(l) {
      snapshotListeners.push(l);
      if (lastSnapshot) l(lastSnapshot);
    },
    onConnection(l) {
      connListeners.push(l);
      l(...lastConn);
    },
    onAlert: (l) => void alertListeners.push(l),
    forcePoll: () => wake?.(),
    async refresh(name) {
      const c = await openConnection(o.connectionString, 'pgtrickle tui action');
      try {
        return await refreshStreamTable(c, name);
      } finally {
        await c.end().catch(() => {});
      }
    },
    async stop() {
      stopped = true;
      wake?.();
      await poller.catch(() => {});
      await client?.end().catch(() => {});
      await follower?.stop().catch(() => {});
    },
  };
}

const KEY_VIEWS: Record<string, ViewKey> = {
  '1': 'dashboard', '2': 'detail', '3': 'dependencies', g: 'dependencies', '4': 'log', '5': 'diagnostics', '6': 'cdc', '7': 'config',
  '8': 'health', '0': 'health', '9': 'alerts', w: 'workers', f: 'fuse', m: 'watermarks', d: 'delta', i: 'issues', c: 'cluster',
};
const SHARED_SELECTION = new Set<ViewKey>(['dashboard', 'detail', 'delta']);

function LineView({ line, width }: { line: Line; width: number }): React.ReactElement {
  const text = line.text.length > width ? line.text.slice(0, Math.max(0, width - 1)) + '…' : line.text;
  return h(Text, { color: line.color, bold: line.bold, inverse: line.inverse, dimColor: line.dim, wrap: 'truncate' }, text || ' ');
}

export function App({ source, now = () => Date.now() }: { source: DashboardSource; now?: () => number }): React.ReactElement {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [snapshot, setSnapshot] = useState<Snapshot>(emptySnapshot);
  const [conn, setConn] = useState<{ state: ConnState; error?: string }>({ state: 'connecting' });
  const [alerts, setAlerts] = useState<AlertLine[]>([]);
  const [view, setView] = useState<ViewKey>('dashboard');
  const [selected, setSelected] = useState(0);
  const [filter, setFilter] = useState('');
  const [filterInput, setFilterInput] = useState<string | null>(null);
  const [help, setHelp] = useState(false);
  const [toast, setToast] = useState('');
  const [, setTick] = useState(0);

  useEffect(() => {
    source.onSnapshot((s) => setSnapshot(s));
    source.onConnection((state, error) => setConn({ state, error }));
    source.onAlert((a) => setAlerts((list) => [...list, a].slice(-200)));
    const t = setInterval(() => setTick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [source]);

  const width = stdout.columns || 100;
  const height = stdout.rows || 30;
  const tables = dashboardOrder(snapshot.tables, snapshot.cascade, filter);
  const ctx = { snapshot, alerts, tables, selected, filter, width, height, cluster: source.cluster };
  const body = viewLines(view, ctx);
  const listLength = body.selectable;
  const clamp = (n: number) => Math.max(0, Math.min(n, Math.max(0, listLength - 1)));

  const switchTo = (next: ViewKey) => {
    if (!(SHARED_SELECTION.has(view) && SHARED_SELECTION.has(next))) setSelected(0);
    setView(next);
  };

  useInput((input, key) => {
    if (key.ctrl && input === 'c') return exit();
    if (filterInput !== null) {
      if (key.return) {
        setFilter(filterInput);
        setFilterInput(null);
        setSelected(0);
      } else if (key.escape) setFilterInput(null);
      else if (key.backspace || key.delete) setFilterInput(filterInput.slice(0, -1));
      else if (input && !key.ctrl && !key.meta) setFilterInput(filterInput + input);
      return;
    }
    if (help) {
      if (key.escape || input === '?' || input === 'q') setHelp(false);
      return;
    }
    if (input === 'q') return exit();
    if (input === '?') return setHelp(true);
    if (input === '/') return setFilterInput('');
    if (key.ctrl && input === 'r') return source.forcePoll();
    if (key.escape) {
      setFilter('');
      return switchTo('dashboard');
    }
    const target = KEY_VIEWS[input];
    if (target && (target !== 'cluster' || source.cluster)) return switchTo(target);
    if (input === 'j' || key.downArrow) return setSelected(clamp(selected + 1));
    if (input === 'k' || key.upArrow) return setSelected(clamp(selected - 1));
    if (key.home) return setSelected(0);
    if (key.end) return setSelected(clamp(listLength - 1));
    if (key.return && view === 'dashboard') return switchTo('detail');
    if (input === 'r' && SHARED_SELECTION.has(view)) {
      const t = tables[selected];
      if (!t) return;
      const name = `${t.pgt_schema}.${t.pgt_name}`;
      setToast(`refreshing ${name}…`);
      source.refresh(name).then(
        (action) => (setToast(`refreshed ${name}: ${action}`), source.forcePoll()),
        (raw) => setToast(`refresh ${name} failed: ${describeError(raw)}`),
      );
    }
  });

  const label = VIEWS.find((v) => v.key === view)!.label;
  const connText = { connected: '● connected', connecting: '◌ connecting…', reconnecting: '◌ reconnecting…', disconnected: '✗ disconnected' }[conn.state];
  const connColour = conn.state === 'connected' ? 'green' : conn.state === 'disconnected' ? 'red' : 'yellow';
  const polled = snapshot.at ? ` polled ${Math.max(0, Math.floor((now() - snapshot.at) / 1000))}s ago ` : ' no poll yet ';
  const footer = VIEWS.filter((v) => v.key !== 'cluster' || source.cluster)
    .map((v) => (v.key === view ? ` [${v.hotkey}]${v.label} ` : ` ${v.hotkey}-${v.label} `))
    .join('');
  const footerText = footer + ' ?-Help q-Quit ' + (filterInput !== null ? ` /${filterInput}█` : filter ? ` /${filter}` : '');
  const footerRows = Math.max(1, Math.ceil(footerText.length / width));
  const bodyHeight = Math.max(3, height - 3 - footerRows - (conn.error && conn.state !== 'connected' ? 1 : 0));
  const start = Math.max(0, Math.min(body.scrollTo - Math.floor(bodyHeight / 2), body.lines.length - bodyHeight));
  const visible = body.lines.slice(body.stickBottom ? Math.max(0, body.lines.length - bodyHeight) : start, (body.stickBottom ? body.lines.length : start + bodyHeight));

  return h(
    Box,
    { flexDirection: 'column', width },
    h(
      Box,
      null,
      h(Text, { bold: true }, ' pg_trickle '),
      h(Text, { inverse: true }, ` ${label} `),
      h(Text, null, ' '),
      h(Text, { color: connColour }, connText),
      snapshot.issues.length > 0 ? h(Text, { color: 'yellow' }, ` ⚠ ${snapshot.issues.length} `) : null,
      h(Text, { dimColor: true }, polled),
      toast ? h(Text, { color: 'cyan' }, ` ${toast}`) : null,
    ),
    conn.error && conn.state !== 'connected' ? h(Text, { color: 'red' }, ` ⚠ ${conn.error}`) : null,
    h(
      Box,
      { flexDirection: 'column', borderStyle: 'round', borderColor: 'gray', height: bodyHeight + 2 },
      h(Text, { bold: true }, body.title),
      ...(help ? helpLines(label) : visible).map((line, i) => h(LineView, { key: i, line, width: width - 4 })),
    ),
    h(Text, { wrap: 'wrap' }, footerText),
  );
}

function helpLines(label: string): Line[] {
  return [
    { text: `Help — ${label} — press ? or Esc to close`, color: 'yellow', bold: true },
    { text: '' },
    { text: 'Views   1 Dashboard  2 Detail  3/g Dependencies  4 Refresh log  5 Diagnostics  6 CDC health' },
    { text: '        7 Configuration  8/0 Health checks  9 Alerts  w Workers  f Fuse  m Watermarks' },
    { text: '        d Delta SQL  i Issues  c Cluster (with NATS)' },
    { text: 'Move    j / ↓  k / ↑  Home End   Enter: detail of the selected table   Esc: dashboard, clear filter' },
    { text: 'Act     r refresh the selected stream table   Ctrl+R poll now   / filter   ? help   q / Ctrl+C quit' },
  ];
}

/** Runs the dashboard until `q` / Ctrl+C; restores the terminal on exit, signals and crashes. */
export async function runTui(o: TuiOptions): Promise<void> {
  const source = startSources(o);
  process.stdout.write('\x1b[?1049h\x1b[H');
  const restore = () => process.stdout.write('\x1b[?1049l\x1b[?25h');
  process.once('exit', restore);
  const app = render(h(App, { source }), { exitOnCtrlC: false });
  const onSignal = () => app.unmount();
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
  try {
    await app.waitUntilExit();
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    await source.stop();
    restore();
  }
}
