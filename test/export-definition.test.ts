/**
 * export_definition round trip: for every option and value the API stores,
 * the exported script — run by psql itself when it is installed — drops and
 * recreates the stream table with the same catalog settings and contents.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, oracleDiff, type TestDatabase } from './helpers/db.ts';

const hasPsql = (() => {
  try {
    execFileSync('psql', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const SETTINGS = `pgt_schema, pgt_name, defining_query, schedule, refresh_mode, is_populated, diamond_consistency, diamond_schedule_policy,
  requested_cdc_mode, pooler_compatibility_mode, max_differential_joins, max_delta_fraction, refresh_tier, fuse_mode, fuse_ceiling, fuse_sensitivity`;

/** [name, create arguments after name and query, alter arguments or null] */
const CASES: [string, string, string | null][] = [
  ['defaults', '', null],
  ['full_duration', `schedule => '30s', refresh_mode => 'FULL'`, null],
  ['differential_cron', `schedule => '*/5 * * * *', refresh_mode => 'DIFFERENTIAL'`, null],
  ['immediate', `refresh_mode => 'IMMEDIATE'`, null],
  ['not_initialized', `refresh_mode => 'FULL', initialize => false`, null],
  ['diamond_none', `diamond_consistency => 'none'`, null],
  ['diamond_slowest', `diamond_consistency => 'atomic', diamond_schedule_policy => 'slowest'`, null],
  ['cdc_trigger', `cdc_mode => 'trigger'`, null],
  ['pooler', `pooler_compatibility_mode => true`, null],
  ['limits', `max_differential_joins => 3, max_delta_fraction => 0.25`, null],
  ['tier_warm', '', `tier => 'warm'`],
  ['fused', '', `fuse => 'on', fuse_ceiling => 500, fuse_sensitivity => 3`],
  ['everything', `schedule => '@hourly', refresh_mode => 'FULL', diamond_consistency => 'none', cdc_mode => 'auto',
     pooler_compatibility_mode => true, max_differential_joins => 2, max_delta_fraction => 0.5`, `tier => 'cold', fuse => 'auto', fuse_ceiling => 10`],
];

describe('export_definition', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
    await db.query(`CREATE TABLE orders (id int PRIMARY KEY, customer_id int, amount numeric)`);
    await db.query(`INSERT INTO orders SELECT g, g % 4, g FROM generate_series(1, 20) g`);
    await db.query(`CREATE SCHEMA "Odd Schema"`);
  });
  afterAll(async () => db.drop());

  const settingsOf = async (name: string) =>
    (await db.query(`SELECT ${SETTINGS} FROM pgtrickle.pgt_stream_tables WHERE pgt_id = (pgtrickle._find_stream_table($1)).pgt_id`, [name]))[0];

  /** Runs a script as a user pastes it into psql (or, without psql, as one simple-protocol query). */
  const runScript = async (script: string) => {
    if (hasPsql) {
      execFileSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db.userUrl ?? db.url], { input: script, stdio: ['pipe', 'ignore', 'pipe'] });
    } else {
      await db.query(script);
    }
  };

  it.each(CASES)('%s: the script recreates the same stream table', async (name, createArgs, alterArgs) => {
    const query = `SELECT customer_id, sum(amount) AS total FROM orders WHERE amount > 2 GROUP BY customer_id`;
    await db.query(`SELECT pgtrickle.create_stream_table('${name}', $1${createArgs ? ', ' + createArgs : ''})`, [query]);
    if (alterArgs) await db.query(`SELECT pgtrickle.alter_stream_table('${name}', ${alterArgs})`);
    const before = await settingsOf(name);
    const [{ script }] = (await db.query<{ script: string }>(`SELECT pgtrickle.export_definition($1) AS script`, [name])) as [{ script: string }];
    expect(script.split('\n')[0]).toBe(`SELECT pgtrickle.drop_stream_table(name) FROM pgtrickle.pgt_status() WHERE name = 'public.${name}';`);
    await db.query(`INSERT INTO orders SELECT max(id) + 1, 1, 50 FROM orders`);
    await runScript(script); // drops the existing one and creates it again
    expect(await settingsOf(name)).toEqual(before);
    if (before!.is_populated) expect(await oracleDiff(db, name, query)).toEqual({ extra: [], missing: [] });
    await db.query(`SELECT pgtrickle.drop_stream_table($1)`, [name]);
    await runScript(script); // and works when it does not exist
    expect(await settingsOf(name)).toEqual(before);
    await db.query(`SELECT pgtrickle.drop_stream_table($1)`, [name]);
  });

  it('a hostile name and a query holding the dollar-quote tag round-trip', async () => {
    const name = `"Odd Schema"."Totals ""$pgt$"""`;
    const query = `SELECT id, '$pgt$' || amount::text AS tagged FROM orders`;
    await db.query(`SELECT pgtrickle.create_stream_table($1, $2, refresh_mode => 'FULL')`, [name, query]);
    const before = await settingsOf(name);
    const [{ script }] = (await db.query<{ script: string }>(`SELECT pgtrickle.export_definition($1) AS script`, [name])) as [{ script: string }];
    expect(script).toContain('$pgt1$');
    await runScript(script);
    expect(await settingsOf(name)).toEqual(before);
    expect(await oracleDiff(db, `"Odd Schema"."Totals ""$pgt$"""`, query)).toEqual({ extra: [], missing: [] });
  });

  it('an unknown name is not found', async () => {
    await expect(db.query(`SELECT pgtrickle.export_definition('nope')`)).rejects.toMatchObject({ code: '42704' });
  });
});
