/**
 * Every read subcommand in every format against a real database (CSV parsed
 * back), run in-process through main() for speed; exit codes, `health`'s
 * exit on critical, completions that load in bash without a database.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completionScript } from '../src/cli/completions.ts';
import { parseCsv, renderCsv } from '../src/cli/format.ts';
import { formatLogLine } from '../src/cli/log-format.ts';
import { buildProgram, main } from '../src/cli/main.ts';
import { watchFrame } from '../src/cli/watch.ts';
import { normaliseSeverity } from '../src/index.ts';
import { freshDatabase, type TestDatabase } from './helpers/db.ts';

const run = promisify(execFile);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

/** The functions a command needs may still be missing from this catalog: then it must say so, exit 1. */
function missingOr(result: { code: number; stderr: string }, fn: string): boolean {
  if (result.code === 1 && result.stderr.includes(`needs pgtrickle.${fn}(), which this catalog does not have yet`)) return true;
  return false;
}

describe('CLI formats and exit codes (real database)', () => {
  let db: TestDatabase;
  let url: string[];
  beforeAll(async () => {
    db = await freshDatabase();
    url = ['--url', db.url];
    await db.query('CREATE TABLE orders (id int PRIMARY KEY, region text, amount numeric)');
    await db.query("INSERT INTO orders SELECT g, 'r' || (g % 3), g FROM generate_series(1, 20) g");
    await db.query(`SELECT pgtrickle.create_stream_table('orders_by_region', 'SELECT region, sum(amount) AS total FROM orders GROUP BY region', '1m', 'FULL')`);
    await db.query(`SELECT pgtrickle.create_stream_table('orders_top', 'SELECT region FROM orders_by_region WHERE total > 10', '1m', 'FULL')`);
  });
  afterAll(async () => db?.drop());

  it('list in table, json and csv (csv parsed back equals the json)', async () => {
    const table = await cli([...url, 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/│ orders_by_region │ public │ ACTIVE │ FULL/);
    const json = JSON.parse((await cli([...url, 'list', '--format', 'json'])).stdout);
    expect(json).toHaveLength(2);
    const csv = await cli([...url, '-f', 'csv', 'list']); // before the subcommand too
    const [header, ...rows] = parseCsv(csv.stdout.trimEnd());
    expect(header).toEqual(['Name', 'Schema', 'Status', 'Mode', 'Populated', 'Errors', 'Schedule', 'Staleness']);
    expect(rows.map((r) => [r[0], r[2], r[4], r[6]])).toEqual(json.map((j: { name: string; status: string; is_populated: boolean; schedule: string }) => [j.name, j.status, j.is_populated ? 'yes' : 'no', j.schedule]));
  });

  it('status: json and csv are one object; not found exits 2', async () => {
    const s = JSON.parse((await cli([...url, 'status', 'orders_top', '-f', 'csv'])).stdout);
    expect(s).toMatchObject({ name: 'orders_top', schema: 'public', status: 'ACTIVE' });
    expect((await cli([...url, 'status', 'nope', '-f', 'json'])).code).toBe(2);
  });

  it('graph in every format; csv quotes tree_line and node', async () => {
    expect((await cli([...url, 'graph'])).stdout).toMatch(/^public\.orders_by_region\n.*├── public\.orders_top\n.*└── public\.orders \[src\]/m);
    const json = JSON.parse((await cli([...url, 'graph', '-f', 'json'])).stdout);
    expect(json.map((r: { node: string }) => r.node)).toEqual(['public.orders_by_region', 'public.orders_top', 'public.orders']);
    const csv = (await cli([...url, 'graph', '-f', 'csv'])).stdout.trimEnd().split('\n');
    expect(csv[0]).toBe('tree_line,node,node_type,depth,status,refresh_mode');
    expect(csv[1]).toBe('"public.orders_by_region","public.orders_by_region",stream_table,0,ACTIVE,FULL');
    expect(parseCsv(csv.join('\n'))).toHaveLength(4);
  });

  it('history and explain --operators in csv parse back', async () => {
    const h = parseCsv((await cli([...url, 'history', 'orders_top', '-f', 'csv'])).stdout.trimEnd());
    expect(h[0]![0]).toBe('Id');
    expect(h[1]).toContain('INITIAL');
    const e = parseCsv((await cli([...url, 'explain', 'orders_top', '--operators', '-f', 'csv'])).stdout.trimEnd());
    expect(e[0]).toEqual(['Property', 'Value']);
    expect(e.find((r) => r[0] === 'pgt_name')?.[1]).toBe('public.orders_top');
  });

  // These read functions issue 14/15 add to the catalog; until they exist the command names the missing function.
  const observed: [string[], string, RegExp][] = [
    [['diag'], 'recommend_refresh_mode', /Schema,Name,Current,Recommended,Confidence,Reason/],
    [['cdc'], 'change_buffer_sizes', /Stream Table,Source,CDC Mode,Pending Rows,Buffer Bytes/],
    [['fuse'], 'fuse_status', /Stream Table,Mode,State,Blown At,Reason/],
    [['watermarks'], 'watermark_groups', /Group,Sources,Tolerance \(s\),Created At/],
    [['workers'], 'worker_pool_status', /Active Workers,Max Workers,Per-DB Cap,Mode/],
  ];
  it.each(observed)('%s: table, json and csv, or a clear message naming the missing function', async (args, fn, csvHeader) => {
    const table = await cli([...url, ...args]);
    if (missingOr(table, fn)) {
      expect(table.stderr).toBe(`error: \`pgtrickle ${args[0]}\` needs pgtrickle.${fn}(), which this catalog does not have yet\n`);
      return;
    }
    expect(table).toMatchObject({ code: 0, stderr: '' });
    const json = await cli([...url, ...args, '-f', 'json']);
    expect(() => JSON.parse(json.stdout)).not.toThrow();
    const csv = await cli([...url, ...args, '-f', 'csv']);
    expect(csv.stdout).toMatch(csvHeader);
    expect(parseCsv(csv.stdout.trimEnd()).length).toBeGreaterThanOrEqual(1);
  });

  it('health: exit 0 without a critical check, 1 with one; json keys as the spec names them', async () => {
    const json = await cli([...url, 'health', '-f', 'json']);
    if (missingOr(json, 'health_check')) return;
    const rows = JSON.parse(json.stdout) as { check_name: string; severity: string; detail: string }[];
    expect(Object.keys(rows[0]!)).toEqual(['check_name', 'severity', 'detail']);
    const critical = rows.some((r) => normaliseSeverity(r.severity) === 'critical');
    expect(json.code).toBe(critical ? 1 : 0);
    if (critical) expect(json.stderr).toBe('error: health check failed: critical issues found\n');
    // critical sorts first
    const order = rows.map((r) => ['critical', 'warning', 'ok', 'other'].indexOf(normaliseSeverity(r.severity)));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const csv = parseCsv((await cli([...url, 'health', '-f', 'csv'])).stdout.trimEnd());
    expect(csv[0]).toEqual(['Check', 'Severity', 'Detail']);
    expect(csv.length - 1).toBe(rows.length);
  });

  it('config lists pg_trickle.* settings; --set validates the name and quotes the value', async () => {
    const set = await cli([...url, 'config', '--set', "pg_trickle.test_setting = it's", '--database']);
    expect(set).toMatchObject({ code: 0, stdout: "Set pg_trickle.test_setting = it's for this database (new sessions read it).\n" });
    expect((await cli([...url, 'config', '--set', 'work_mem=1GB'])).stderr).toBe('error: not a pg_trickle setting: work_mem (expected pg_trickle.<name>)\n');
    expect((await cli([...url, 'config', '--set', 'novalue'])).stderr).toBe('error: expected format: param=value\n');
    const rows = JSON.parse((await cli([...url, 'config', '-f', 'json'])).stdout) as { name: string; setting: string }[];
    expect(rows).toContainEqual(expect.objectContaining({ name: 'pg_trickle.test_setting', setting: "it's" }));
    const csv = parseCsv((await cli([...url, 'config', '-f', 'csv'])).stdout.trimEnd());
    expect(csv[0]).toEqual(['Parameter', 'Value', 'Unit', 'Description']);
  });

  it('export: the script or a clear message; refresh --all in dependency order', async () => {
    const exported = await cli([...url, 'export', 'orders_top']);
    if (!missingOr(exported, 'export_definition')) {
      expect(exported.code).toBe(0);
      expect(exported.stdout).toMatch(/pgtrickle\.create_stream_table\(/);
    }
    expect(await cli([...url, 'refresh', '--all'])).toMatchObject({ code: 0, stdout: 'All stream tables refreshed.\n' });
  });

  it('explain --analyze runs the delta in a rolled-back transaction; --sql on a FULL table is not found', async () => {
    await db.query(`SELECT pgtrickle.create_stream_table('by_region_diff', 'SELECT region, count(*) AS n FROM orders GROUP BY region', '1m', 'DIFFERENTIAL')`);
    const plan = await cli([...url, 'explain', 'by_region_diff', '--analyze', '-f', 'json']);
    // the plan compiles in the coordinator; without one running there may be no delta SQL yet
    if (plan.code === 0) expect(JSON.parse(plan.stdout).join('\n')).toMatch(/actual time=/);
    else expect(plan).toMatchObject({ code: 2, stderr: expect.stringMatching(/has no delta SQL/) });
    expect((await cli([...url, 'explain', 'orders_top', '--sql'])).code).toBe(2);
  });

  it('unknown subcommand and bad --format are usage errors (exit 2)', async () => {
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli([...url, 'list', '--format', 'xml'])).code).toBe(2);
  });
});

describe('CLI pieces without a database', () => {
  it('completions: bash loads and completes subcommands and --format values; zsh and fish are produced', async () => {
    const script = completionScript(buildProgram(), 'bash');
    const probe = `${script}
COMP_WORDS=(pgtrickle h); COMP_CWORD=1; _pgtrickle; echo "sub:\${COMPREPLY[*]}"
COMP_WORDS=(pgtrickle list --format c); COMP_CWORD=3; _pgtrickle; echo "fmt:\${COMPREPLY[*]}"
COMP_WORDS=(pgtrickle completions ''); COMP_CWORD=2; _pgtrickle; echo "sh:\${COMPREPLY[*]}"
complete -p pgtrickle`;
    const { stdout } = await run('bash', ['-c', probe]);
    expect(stdout).toMatch(/^sub:(health history|history health)$/m);
    expect(stdout).toMatch(/^fmt:csv$/m);
    expect(stdout).toMatch(/^sh:bash zsh fish$/m);
    expect(stdout).toMatch(/complete -F _pgtrickle pgtrickle/);
    const zsh = completionScript(buildProgram(), 'zsh');
    expect(zsh).toMatch(/^#compdef pgtrickle/);
    expect(zsh).toMatch(/'watch:print the stream tables/);
    const fish = completionScript(buildProgram(), 'fish');
    expect(fish).toMatch(/__fish_seen_subcommand_from list' -l format -s f -x -a 'table json csv'/);
  });

  it('completions through the binary need no database and exit 0; an unknown shell exits 1', async () => {
    const bin = path.resolve(import.meta.dirname, '../bin/pgtrickle.js');
    const env = { ...process.env, PGTRICKLE_URL: 'postgres://nobody@127.0.0.1:1/none' };
    const { stdout } = await run('node', [bin, 'completions', 'bash'], { env });
    expect(stdout).toMatch(/complete -F _pgtrickle pgtrickle/);
    const bad = await run('node', [bin, 'completions', 'tcsh'], { env }).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 1, stderr: 'error: unknown shell: tcsh (expected one of bash, zsh, fish)\n' });
  });

  it('csv quotes only cells with a comma, quote or newline', () => {
    const text = renderCsv([{ a: 'x,y', b: 'say "hi"', c: null, d: true }], [
      { label: 'A', value: (r) => r.a }, { label: 'B', value: (r) => r.b }, { label: 'C', value: (r) => r.c }, { label: 'D', value: (r) => r.d },
    ]);
    expect(text).toBe('A,B,C,D\n"x,y","say ""hi""",,yes');
    expect(parseCsv(text)).toEqual([['A', 'B', 'C', 'D'], ['x,y', 'say "hi"', '', 'yes']]);
  });

  it('severities are normalised case-insensitively', () => {
    expect(['ERROR', 'critical', 'WARN', 'Warning', 'OK', 'info'].map(normaliseSeverity)).toEqual(['critical', 'critical', 'warning', 'warning', 'ok', 'other']);
  });

  it('watch frames: compact lines, colour only when asked, filter', () => {
    const row = { pgt_name: 'orders_by_region', pgt_schema: 'public', status: 'ACTIVE', refresh_mode: 'DIFFERENTIAL', stale: false, avg_duration_ms: 3.4, total_refreshes: 7 } as never;
    const other = { pgt_name: 'x', pgt_schema: 'public', status: 'ERROR', refresh_mode: 'FULL', stale: true, avg_duration_ms: 0, total_refreshes: 0 } as never;
    const frame = watchFrame([row, other], { interval: 1, compact: true, color: false, filter: 'by_region' }, new Date('2024-01-01T10:11:12Z'));
    expect(frame).toBe('pg_trickle watch — 10:11:12\n\npublic.orders_by_region  ACTIVE  DIFFERENTIAL  avg=3ms  n=7\n');
    expect(watchFrame([other], { interval: 1, color: true })).toMatch(/\x1b\[31mpublic\.x\s+ERROR\s+FULL\s+Yes\s+-\s+0\x1b\[0m/);
  });

  it('log lines for people: level, message and fields on one line', () => {
    const line = formatLogLine(JSON.stringify({ level: 40, time: Date.parse('2024-01-01T10:11:12.345Z'), msg: 'refresh failed', st: 'public.x', ms: 3, app: 'pgtrickle' }), false);
    expect(line).toBe('10:11:12.345 WARN  refresh failed  st=public.x ms=3');
    expect(formatLogLine('{"level":30,"msg":"hi"}', true)).toMatch(/\x1b\[32mINFO \x1b\[0m hi/);
  });
});
