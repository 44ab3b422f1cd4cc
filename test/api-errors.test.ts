/**
 * Bad input gets a clear error with its own SQLSTATE (docs/SQL_REFERENCE.md,
 * "Errors") and leaves nothing behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from './helpers/db.ts';
import { objectFingerprint } from './helpers/fingerprint.ts';
import type pg from 'pg';
import * as api from '../src/index.ts';
import { SqlState } from '../src/index.ts';

describe('SQL API bad input', () => {
  let db: TestDatabase;
  let clean: Record<string, unknown>;

  beforeAll(async () => {
    db = await freshDatabase();
    await db.query(`CREATE TABLE orders (id int PRIMARY KEY, customer_id int, amount numeric)`);
    await db.query(`INSERT INTO orders SELECT g, g % 5, g FROM generate_series(1, 20) g`);
    await db.query(`SELECT pgtrickle.create_stream_table('existing', 'SELECT customer_id, sum(amount) AS total FROM orders GROUP BY customer_id', '1m', 'FULL')`);
    clean = await objectFingerprint(db);
  });
  afterAll(async () => db.drop());

  async function expectRejected(sql: string, message: RegExp, code: string): Promise<void> {
    await expect(db.query(sql)).rejects.toMatchObject({ message: expect.stringMatching(message), code });
    expect(await objectFingerprint(db)).toEqual(clean);
  }

  const good = `'SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id'`;

  it('rejects a duplicate name', async () => {
    await expectRejected(`SELECT pgtrickle.create_stream_table('existing', ${good})`, /stream table already exists: public\.existing/, SqlState.AlreadyExists);
  });

  it('rejects a name that is taken by an ordinary table', async () => {
    await expectRejected(`SELECT pgtrickle.create_stream_table('orders', ${good})`, /relation public\.orders already exists and is not a stream table/, SqlState.AlreadyExists);
  });

  it.each([
    ['5x', /invalid schedule '5x': unknown unit/],
    ['1h30', /invalid schedule '1h30': trailing digits without a unit/],
    ['m5', /invalid schedule 'm5': a number is missing before a unit/],
    ['-5s', /invalid schedule '-5s': negative durations are not allowed/],
    ['0s', /schedule must be at least 1s, got 0s/],
    ['', /invalid schedule '': empty/],
    ['*/5 * * *', /invalid cron expression '\*\/5 \* \* \*': expected 5 fields/],
    ['61 * * * *', /invalid cron expression '61 \* \* \* \*': minute value 61 is outside 0\.\.59/],
    ['@sometimes', /invalid cron expression '@sometimes': unknown alias/],
  ])('rejects the invalid schedule %j', async (schedule, message) => {
    await expectRejected(`SELECT pgtrickle.create_stream_table('st_bad', ${good}, schedule => '${schedule}')`, message, SqlState.InvalidArgument);
  });

  it('rejects a NULL schedule with the calculated hint', async () => {
    await expectRejected(`SELECT pgtrickle.create_stream_table('st_bad', ${good}, schedule => NULL)`, /use 'calculated' instead of NULL/, SqlState.InvalidArgument);
  });

  it('rejects an invalid refresh mode', async () => {
    await expectRejected(
      `SELECT pgtrickle.create_stream_table('st_bad', ${good}, refresh_mode => 'SOMETIMES')`,
      /unknown refresh mode: SOMETIMES\. Must be 'AUTO', 'FULL', 'DIFFERENTIAL', or 'IMMEDIATE'/,
      SqlState.InvalidArgument,
    );
  });

  it('rejects a query that does not parse', async () => {
    await expectRejected(
      `SELECT pgtrickle.create_stream_table('st_bad', 'SELECT customer_id FORM orders')`,
      /query parse error: syntax error at or near "orders"/,
      SqlState.QueryError,
    );
  });

  it('rejects a query that references a missing table', async () => {
    await expectRejected(
      `SELECT pgtrickle.create_stream_table('st_bad', 'SELECT * FROM no_such_table')`,
      /query parse error: relation "no_such_table" does not exist/,
      '42P01', // the probe's own SQLSTATE: undefined_table
    );
  });

  it('rejects a query that references a missing column', async () => {
    await expectRejected(
      `SELECT pgtrickle.create_stream_table('st_bad', 'SELECT nope FROM orders')`,
      /query parse error: column "nope" does not exist/,
      '42703', // undefined_column
    );
  });

  it('rejects more than one statement and never runs the second', async () => {
    await expectRejected(
      `SELECT pgtrickle.create_stream_table('st_bad', 'SELECT id FROM orders; DROP TABLE orders')`,
      /must be a single SELECT statement/,
      SqlState.QueryError,
    );
    expect(await db.query(`SELECT to_regclass('orders') IS NOT NULL AS present`)).toEqual([{ present: true }]);
  });

  it('rejects a data-modifying query', async () => {
    await expectRejected(`SELECT pgtrickle.create_stream_table('st_bad', 'DELETE FROM orders RETURNING id')`, /query parse error/, SqlState.QueryError);
    expect(await db.query(`SELECT count(*)::int AS n FROM orders`)).toEqual([{ n: 20 }]);
  });

  it('rejects an empty query', async () => {
    await expectRejected(`SELECT pgtrickle.create_stream_table('st_bad', '  ')`, /the defining query is empty/, SqlState.QueryError);
  });

  it('rejects a query that reads no table', async () => {
    await expectRejected(`SELECT pgtrickle.create_stream_table('st_bad', 'SELECT 1 AS one')`, /must read at least one table/, SqlState.InvalidArgument);
  });

  it('rejects an output column without a name', async () => {
    await expectRejected(`SELECT pgtrickle.create_stream_table('st_bad', 'SELECT id + 1 FROM orders')`, /output column 1 of the defining query has no name/, SqlState.InvalidArgument);
  });

  it('rejects output columns with the reserved __pgt_ prefix', async () => {
    await expectRejected(`SELECT pgtrickle.create_stream_table('st_bad', 'SELECT id AS __pgt_x FROM orders')`, /reserved prefix __pgt_/, SqlState.InvalidArgument);
  });

  it.each([
    ['bad name', /invalid stream table name 'bad name'/, SqlState.InvalidArgument],
    ['"unterminated', /invalid stream table name '"unterminated'/, SqlState.InvalidArgument],
    ['a.b.c', /expected name or schema\.name/, SqlState.InvalidArgument],
    ['', /stream table name must not be empty/, SqlState.InvalidArgument],
    ['x'.repeat(64), /longer than 63 bytes/, SqlState.InvalidArgument],
    ['__pgt_x', /the prefix __pgt_ is reserved/, SqlState.InvalidArgument],
    ['nosuchschema.t', /schema "nosuchschema" does not exist/, SqlState.SchemaMissing],
  ] as const)('rejects the invalid name %j', async (name, message, code) => {
    await expectRejected(`SELECT pgtrickle.create_stream_table('${name}', ${good})`, message, code);
  });

  it('rejects volatile functions outside FULL', async () => {
    await expectRejected(
      `SELECT pgtrickle.create_stream_table('st_bad', 'SELECT id, random() AS r FROM orders', refresh_mode => 'DIFFERENTIAL')`,
      /volatile expressions/,
      SqlState.Unsupported,
    );
  });

  it.each([
    ['refresh_stream_table', `SELECT pgtrickle.refresh_stream_table('nope')`],
    ['drop_stream_table', `SELECT pgtrickle.drop_stream_table('nope')`],
    ['alter_stream_table', `SELECT pgtrickle.alter_stream_table('nope', schedule => '5m')`],
    ['resume_stream_table', `SELECT pgtrickle.resume_stream_table('nope')`],
  ])('%s on an unknown name says which name', async (_fn, sql) => {
    await expectRejected(sql, /stream table not found: public\.nope/, SqlState.NotFound);
  });

  it('alter with an invalid value changes nothing', async () => {
    const before = await db.query(`SELECT schedule, refresh_tier, refresh_mode FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'existing'`);
    await expectRejected(`SELECT pgtrickle.alter_stream_table('existing', schedule => '2m', tier => 'lukewarm')`,
      /invalid tier value: 'lukewarm' \(expected 'hot', 'warm', 'cold', 'frozen'\)/, SqlState.InvalidArgument);
    await expectRejected(`SELECT pgtrickle.alter_stream_table('existing', refresh_mode => 'NEVER')`, /unknown refresh mode: NEVER/, SqlState.InvalidArgument);
    expect(await db.query(`SELECT schedule, refresh_tier, refresh_mode FROM pgtrickle.pgt_stream_tables WHERE pgt_name = 'existing'`)).toEqual(before);
  });

  it('resume on an active stream table explains why not', async () => {
    await expectRejected(`SELECT pgtrickle.resume_stream_table('existing')`, /is not suspended or in error state \(current status: ACTIVE\)/, SqlState.WrongState);
  });

  it('direct DML on a stream table is refused', async () => {
    const refused = { message: expect.stringMatching(/Direct DML on stream table public\.existing is not allowed/), code: SqlState.Permission };
    await expect(db.query(`DELETE FROM existing`)).rejects.toMatchObject(refused);
    await expect(db.query(`TRUNCATE existing`)).rejects.toMatchObject(refused);
    expect((await db.query(`SELECT count(*)::int AS n FROM existing`))[0]).toEqual({ n: 5 });
  });
});

/**
 * One case per SQLSTATE category of docs/SQL_REFERENCE.md ("Errors"), for the
 * RAISE sites a user can reach that the cases above do not.
 */
describe('SQL API error codes', () => {
  let db: TestDatabase;
  const q = `'SELECT customer_id, sum(amount) AS total FROM orders GROUP BY customer_id'`;

  beforeAll(async () => {
    db = await freshDatabase();
    await db.query(`CREATE TABLE orders (id int PRIMARY KEY, customer_id int, amount numeric)`);
    await db.query(`INSERT INTO orders SELECT g, g % 5, g FROM generate_series(1, 20) g`);
    await db.query(`SELECT pgtrickle.create_stream_table('base_st', ${q}, '1m', 'FULL')`);
    await db.query(`SELECT pgtrickle.create_stream_table('reader_st', 'SELECT customer_id, total FROM base_st', '1m', 'FULL')`);
  });
  afterAll(async () => db.drop());

  const rejects = (sql: string, code: string, message?: RegExp) =>
    expect(db.query(sql)).rejects.toMatchObject(message ? { code, message: expect.stringMatching(message) } : { code });

  it.each([
    ['append_only', `SELECT pgtrickle.create_stream_table('st_x', ${q}, append_only => true)`],
    ['partition_by', `SELECT pgtrickle.create_stream_table('st_x', ${q}, partition_by => 'customer_id')`],
    ['cdc_mode wal', `SELECT pgtrickle.create_stream_table('st_x', ${q}, cdc_mode => 'wal')`],
    ['alter append_only', `SELECT pgtrickle.alter_stream_table('base_st', append_only => true)`],
    ['alter partition_by', `SELECT pgtrickle.alter_stream_table('base_st', partition_by => 'customer_id')`],
    ['alter cdc_mode wal', `SELECT pgtrickle.alter_stream_table('base_st', cdc_mode => 'wal')`],
  ])('unsupported option %s: 0A000 with a hint', async (_what, sql) => {
    await expect(db.query(sql)).rejects.toMatchObject({ code: SqlState.Unsupported, hint: expect.stringMatching(/^Omit/) });
  });

  it.each([
    ['a choice value', `SELECT pgtrickle.create_stream_table('st_x', ${q}, diamond_consistency => 'maybe')`, /invalid diamond_consistency value/],
    ['a policy without atomic', `SELECT pgtrickle.create_stream_table('st_x', ${q}, diamond_consistency => 'none', diamond_schedule_policy => 'slowest')`, /requires diamond_consistency/],
    ['a negative number', `SELECT pgtrickle.create_stream_table('st_x', ${q}, max_differential_joins => -1)`, /must not be negative/],
    ['alter: a negative number', `SELECT pgtrickle.alter_stream_table('base_st', max_delta_fraction => -0.5)`, /must not be negative/],
    ['alter: fuse_ceiling 0', `SELECT pgtrickle.alter_stream_table('base_st', fuse_ceiling => 0)`, /fuse_ceiling must be a positive integer/],
    ['alter: fuse_sensitivity 0', `SELECT pgtrickle.alter_stream_table('base_st', fuse_sensitivity => 0)`, /fuse_sensitivity must be a positive integer/],
    ['alter: a policy without atomic', `SELECT pgtrickle.alter_stream_table('base_st', diamond_consistency => 'none', diamond_schedule_policy => 'slowest')`, /requires diamond_consistency/],
    ['alter: a status', `SELECT pgtrickle.alter_stream_table('base_st', status => 'paused')`, /invalid status value/],
  ])('invalid argument (%s): 22023', async (_what, sql, message) => {
    await rejects(sql, SqlState.InvalidArgument, message);
  });

  // Regression: the dependency view was created before the temp-table check,
  // so PostgreSQL's 42P16 came first.
  it('a temporary table as source: 22023', async () => {
    const client = await db.connect();
    await client.query(`CREATE TEMP TABLE scratch (id int)`);
    await expect(client.query(`SELECT pgtrickle.create_stream_table('st_x', 'SELECT id FROM scratch', refresh_mode => 'FULL')`))
      .rejects.toMatchObject({ code: SqlState.InvalidArgument, message: expect.stringMatching(/reads temporary table/) });
  });

  it('a source column too long to capture: 22023', async () => {
    const column = 'c'.repeat(60);
    await db.query(`CREATE TABLE wide (id int PRIMARY KEY, ${column} int)`);
    await rejects(`SELECT pgtrickle.create_stream_table('st_x', 'SELECT id, ${column} FROM wide', refresh_mode => 'FULL')`,
      SqlState.InvalidArgument, /column name longer than 59 bytes/);
  });

  it('not found by pgt_id: 42704', async () => {
    await rejects(`SELECT pgtrickle._refresh(987654, 'MANUAL')`, SqlState.NotFound, /stream table not found: pgt_id 987654/);
  });

  it('refresh of a suspended stream table: 55000, the hint says how to resume', async () => {
    await db.query(`SELECT pgtrickle.alter_stream_table('base_st', status => 'SUSPENDED')`);
    await expect(db.query(`SELECT pgtrickle.refresh_stream_table('base_st')`)).rejects.toMatchObject({
      code: SqlState.WrongState,
      message: expect.stringMatching(/stream table public\.base_st is suspended/),
      hint: "Fix the cause, then run: SELECT pgtrickle.resume_stream_table('public.base_st');",
    });
    await db.query(`SELECT pgtrickle.resume_stream_table('base_st')`);
  });

  it('a refused state transition: 55000', async () => {
    await db.query(`SELECT pgtrickle.create_stream_table('later_st', ${q}, '1m', 'FULL', initialize => false)`);
    await rejects(`SELECT pgtrickle.alter_stream_table('later_st', status => 'ACTIVE')`, SqlState.WrongState, /cannot go through resume while INITIALIZING/);
  });

  it('a new query that changes columns other stream tables read: 55006', async () => {
    await rejects(`SELECT pgtrickle.alter_stream_table('base_st', query => 'SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id')`,
      SqlState.Conflict, /changes its output columns, and other stream tables read it/);
  });

  it('a cycle: 42P15', async () => {
    await rejects(`SELECT pgtrickle.alter_stream_table('base_st', query => 'SELECT customer_id, total FROM reader_st')`,
      SqlState.Cycle, /cycle detected in dependency graph: public\.reader_st -> public\.base_st -> public\.reader_st|cycle detected/);
  });

  it('MERGE into a source of an IMMEDIATE stream table: 0A000', async () => {
    await db.query(`SELECT pgtrickle.create_stream_table('live_st', 'SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id', refresh_mode => 'IMMEDIATE')`);
    await rejects(`MERGE INTO orders o USING (VALUES (1, 1, 1)) v(id, c, a) ON o.id = v.id WHEN MATCHED THEN UPDATE SET amount = v.a`,
      SqlState.Unsupported, /MERGE into public\.orders is not supported/);
    await db.query(`SELECT pgtrickle.drop_stream_table('live_st')`);
  });

  it('a stream table without a refresh plan: XX000', async () => {
    const client = await db.connect();
    await client.query('BEGIN');
    await client.query(`DELETE FROM pgtrickle.pgt_coord_plans p USING pgtrickle.pgt_stream_tables s WHERE s.pgt_id = p.pgt_id AND s.pgt_name = 'base_st'`);
    await expect(client.query(`SELECT pgtrickle.refresh_stream_table('base_st')`))
      .rejects.toMatchObject({ code: SqlState.Internal, message: expect.stringMatching(/internal error: stream table public\.base_st has no refresh plan/) });
    await client.query('ROLLBACK');
  });
});

/** The library turns each SQLSTATE into its class and keeps the driver's error as `cause`. */
describe('library error classes', () => {
  let db: TestDatabase;
  let client: pg.Client;
  beforeAll(async () => {
    db = await freshDatabase();
    client = await db.connect();
    await client.query(`CREATE TABLE orders (id int PRIMARY KEY, customer_id int, amount numeric)`);
    await api.createStreamTable(client, { name: 'existing', query: 'SELECT id, amount FROM orders', refreshMode: 'FULL' });
  });
  afterAll(async () => db.drop());

  it.each([
    ['not found', () => api.refreshStreamTable(client, 'nope'), api.NotFoundError, SqlState.NotFound],
    ['not found (status)', () => api.streamTableStatus(client, 'nope'), api.NotFoundError, SqlState.NotFound],
    ['already exists', () => api.createStreamTable(client, { name: 'existing', query: 'SELECT id FROM orders' }), api.AlreadyExistsError, SqlState.AlreadyExists],
    ['invalid argument', () => api.alterStreamTable(client, 'existing', { tier: 'lukewarm' }), api.InvalidArgumentError, SqlState.InvalidArgument],
    ['schema missing', () => api.createStreamTable(client, { name: 'nowhere.t', query: 'SELECT id FROM orders' }), api.SchemaMissingError, SqlState.SchemaMissing],
    ['query error', () => api.createStreamTable(client, { name: 't', query: 'SELECT FROM WHERE' }), api.QueryError, SqlState.QueryError],
    ['query error (the probe\'s code)', () => api.createStreamTable(client, { name: 't', query: 'SELECT * FROM nope' }), api.QueryError, '42P01'],
    ['unsupported', () => api.createStreamTable(client, { name: 't', query: 'SELECT random() AS r FROM orders', refreshMode: 'DIFFERENTIAL' }), api.UnsupportedError, SqlState.Unsupported],
    ['wrong state', () => api.resumeStreamTable(client, 'existing'), api.WrongStateError, SqlState.WrongState],
  ] as const)('%s', async (_what, call, cls, sqlState) => {
    const err = await (call as () => Promise<unknown>)().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(cls);
    expect(err).toBeInstanceOf(api.SqlApiError);
    expect(err).toMatchObject({ sqlState, cause: expect.objectContaining({ code: sqlState }) });
    expect(api.classifySqlError(err)).toBe(api.classifySqlError((err as Error).cause));
  });

  it('a database without the catalog: CatalogMissingError', async () => {
    const bare = await freshDatabase({ withCatalog: false });
    try {
      const c = await bare.connect();
      await expect(api.listStreamTables(c)).rejects.toBeInstanceOf(api.CatalogMissingError);
      await expect(api.refreshStreamTable(c, 'x')).rejects.toBeInstanceOf(api.CatalogMissingError);
    } finally {
      await bare.drop();
    }
  });

  it('classifySqlError: every code of the table, class 42 as a query error, others not the API\'s', () => {
    for (const [category, code] of Object.entries(SqlState)) expect(api.classifySqlError({ code })).toBe(category);
    expect(api.classifySqlError({ code: '42703' })).toBe('QueryError');
    expect(api.classifySqlError({ code: '40001' })).toBeNull();
    expect(api.classifySqlError(new Error('stream table not found: public.x'))).toBeNull(); // never by message
    expect(new api.ReadOnlyError({ code: '25006', message: 'Cannot refresh stream tables on a read replica' })).toMatchObject({ sqlState: '25006', code: 'READ_ONLY' });
  });
});
