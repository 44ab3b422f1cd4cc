/**
 * Bad input gets a clear error with its own SQLSTATE (docs/SQL_REFERENCE.md,
 * "Errors") and leaves nothing behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from './helpers/db.ts';
import { objectFingerprint } from './helpers/fingerprint.ts';
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
