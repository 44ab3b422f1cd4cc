/**
 * A hand-made stand-in for the catalog, to run DVM plans against a real
 * PostgreSQL: a scratch database `dvm_<name>_<random>` with the contract
 * objects (change buffers, frontier and stats tables, hash functions) and a
 * row-level capture trigger per source table that writes buffer rows exactly
 * as contract §1 says (I / D / U for keyed tables when the key is unchanged,
 * D + I otherwise, T on TRUNCATE).
 *
 * The real catalog provides the same objects; only `install` here is a stub.
 */
import { withDatabase } from '../../src/db-url.ts';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { inject } from 'vitest';
import { ident, literal, qualified } from '../../src/sql/ident.ts';
import { compile, initDvm, type CompiledPlan, type CompileInput, type CompileOptions, type CompileSource } from '../../src/dvm/index.ts';

/** The test server of the run (test/global-setup.ts), unless DVM_TEST_DATABASE_URL overrides it. */
function adminUrl(): string {
  if (process.env.DVM_TEST_DATABASE_URL) return process.env.DVM_TEST_DATABASE_URL;
  try {
    return inject('adminUrl');
  } catch {
    return 'postgres://postgres@127.0.0.1:5432/postgres';
  }
}

const CONTRACT_SQL = `
CREATE SCHEMA pgtrickle;
CREATE SCHEMA pgtrickle_changes;
CREATE TABLE pgtrickle.pgt_coord_frontiers (pgt_id bigint, source_relid oid, frontier pg_snapshot, self_xid xid8, self_change_id bigint, PRIMARY KEY (pgt_id, source_relid));
CREATE SEQUENCE pgtrickle_changes.change_seq;
CREATE TABLE pgtrickle.pgt_coord_refresh_stats (pgt_id bigint PRIMARY KEY, rows_inserted bigint, rows_deleted bigint);
CREATE FUNCTION pgtrickle.pg_trickle_hash_multi(text[]) RETURNS bigint IMMUTABLE PARALLEL SAFE LANGUAGE sql
  AS $$ SELECT pg_catalog.hashtextextended($1::text, 5871781006564002453) $$;
CREATE FUNCTION pgtrickle.pg_trickle_hash(text) RETURNS bigint IMMUTABLE STRICT PARALLEL SAFE LANGUAGE sql
  AS $$ SELECT pg_catalog.hashtextextended($1, 5871781006564002453) $$;
`;

/**
 * `pgtrickle.refresh_snapshot()` (used by the frontier statements) is taken
 * verbatim from the catalog's frontier module so the harness never drifts from it.
 */
function refreshSnapshotFunction(): string {
  const catalog = readFileSync(new URL('../../sql/code/06_frontier.sql', import.meta.url), 'utf8');
  const m = /CREATE OR REPLACE FUNCTION pgtrickle\.refresh_snapshot\(\)[\s\S]*?\$\$;/.exec(catalog);
  if (!m) throw new Error('test/dvm/harness.ts: CREATE OR REPLACE FUNCTION pgtrickle.refresh_snapshot() not found in sql/code/06_frontier.sql');
  return m[0];
}

/** The session settings every refresh pins (contract §4). */
export const REFRESH_SETTINGS = `SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 1;`;

export interface StreamTable {
  plan: CompiledPlan;
  input: CompileInput;
  query: string;
}

export interface OracleResult {
  /** rows in storage but not in the query (multiset) */
  extra: number;
  /** rows in the query but not in storage (multiset) */
  missing: number;
  /** storage rows whose id/values differ from a fresh FULL select (row-id formula drift) */
  idDrift: number;
  /** stored counts below zero (a zero count is caught as an extra row, except for the one row of an aggregate without GROUP BY) */
  negativeCounts: number;
}

export class DvmHarness {
  private nextPgtId = 1;

  private constructor(
    readonly database: string,
    readonly client: pg.Client,
  ) {}

  static async create(name: string): Promise<DvmHarness> {
    await initDvm();
    const database = `dvm_${name}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${ident(database)}`);
    } finally {
      await admin.end();
    }
    const client = new pg.Client({ connectionString: withDatabase(adminUrl(), database) });
    const harness = new DvmHarness(database, client);
    try {
      await client.connect();
      await client.query(CONTRACT_SQL);
      await client.query(refreshSnapshotFunction());
      await client.query(REFRESH_SETTINGS);
    } catch (err) {
      await harness.drop().catch(() => {}); // no database left behind by a failed set-up
      throw err;
    }
    return harness;
  }

  async drop(): Promise<void> {
    await this.client.end().catch(() => {});
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${ident(this.database)} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }

  async exec(sql: string, params?: unknown[]): Promise<pg.QueryResult> {
    return this.client.query(sql, params);
  }

  /** Create a source table (DDL body = column definitions) with its buffer and capture trigger. */
  async table(schema: string, name: string, body: string): Promise<CompileSource> {
    await this.exec(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
    await this.exec(`CREATE TABLE ${qualified(schema, name)} (${body})`);
    const source = await this.describe(schema, name);
    await this.installCapture(source);
    return source;
  }

  async describe(schema: string, name: string): Promise<CompileSource> {
    const rel = await this.exec(`SELECT $1::regclass::oid::int AS relid`, [qualified(schema, name)]);
    const relid = Number(rel.rows[0].relid);
    const cols = await this.exec(
      `SELECT attname, format_type(atttypid, atttypmod) AS type, attnotnull FROM pg_attribute
        WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [relid],
    );
    const pk = await this.exec(
      `SELECT a.attname FROM pg_constraint c CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
        WHERE c.conrelid = $1 AND c.contype = 'p' ORDER BY k.ord`,
      [relid],
    );
    return {
      relid,
      schema,
      name,
      kind: 'TABLE',
      columns: cols.rows.map((r) => ({ name: r.attname, type: r.type, notNull: r.attnotnull })),
      primaryKey: pk.rows.length ? pk.rows.map((r) => r.attname as string) : null,
    };
  }

  private async installCapture(s: CompileSource): Promise<void> {
    const buffer = qualified('pgtrickle_changes', `changes_${s.relid}`);
    const colDefs = s.columns.flatMap((c) => [`${ident('new_' + c.name)} ${c.type}`, `${ident('old_' + c.name)} ${c.type}`]);
    await this.exec(
      `CREATE TABLE ${buffer} (change_id bigint PRIMARY KEY DEFAULT nextval('pgtrickle_changes.change_seq'), xid xid8 NOT NULL, action char(1) NOT NULL${colDefs.map((d) => ', ' + d).join('')})`,
    );
    await this.exec(`CREATE INDEX ON ${buffer} (xid)`);
    const newCols = s.columns.map((c) => ident('new_' + c.name));
    const oldCols = s.columns.map((c) => ident('old_' + c.name));
    const newVals = s.columns.map((c) => `NEW.${ident(c.name)}`);
    const oldVals = s.columns.map((c) => `OLD.${ident(c.name)}`);
    const ins = (action: string, cols: string[], vals: string[]) =>
      `INSERT INTO ${buffer} (xid, action${cols.map((c) => ', ' + c).join('')}) VALUES (pg_current_xact_id(), '${action}'${vals.map((v) => ', ' + v).join('')});`;
    const sameKey = s.primaryKey
      ? s.primaryKey.map((k) => `NEW.${ident(k)} IS NOT DISTINCT FROM OLD.${ident(k)}`).join(' AND ')
      : 'false';
    const fnName = qualified('pgtrickle_changes', `capture_${s.relid}`);
    await this.exec(`CREATE FUNCTION ${fnName}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN ${ins('I', newCols, newVals)}
  ELSIF TG_OP = 'DELETE' THEN ${ins('D', oldCols, oldVals)}
  ELSIF TG_OP = 'UPDATE' THEN
    IF ${sameKey} THEN ${ins('U', [...newCols, ...oldCols], [...newVals, ...oldVals])}
    ELSE ${ins('D', oldCols, oldVals)} ${ins('I', newCols, newVals)}
    END IF;
  ELSE ${ins('T', [], [])}
  END IF;
  RETURN NULL;
END $fn$`);
    const rel = qualified(s.schema, s.name);
    await this.exec(`CREATE TRIGGER pgt_capture AFTER INSERT OR UPDATE OR DELETE ON ${rel} FOR EACH ROW EXECUTE FUNCTION ${fnName}()`);
    await this.exec(`CREATE TRIGGER pgt_capture_truncate AFTER TRUNCATE ON ${rel} FOR EACH STATEMENT EXECUTE FUNCTION ${fnName}()`);
  }

  /** Output columns of a query, as the catalog's probe view reports them. */
  async probe(query: string): Promise<{ name: string; type: string }[]> {
    await this.exec('BEGIN');
    try {
      await this.exec(`CREATE TEMP VIEW __dvm_probe AS ${query}`);
      const r = await this.exec(
        `SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute
          WHERE attrelid = '__dvm_probe'::regclass AND attnum > 0 ORDER BY attnum`,
      );
      return r.rows.map((x) => ({ name: x.attname, type: x.type }));
    } finally {
      await this.exec('ROLLBACK');
    }
  }

  async sources(): Promise<CompileSource[]> {
    const r = await this.exec(
      `SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgtrickle', 'pgtrickle_changes', 'pg_toast')
          AND NOT c.relname LIKE 'st\\_%'`,
    );
    const out: CompileSource[] = [];
    for (const x of r.rows) out.push(await this.describe(x.nspname, x.relname));
    return out;
  }

  async compileInput(query: string, target: { schema: string; name: string }, pgtId: number): Promise<CompileInput> {
    return {
      pgtId,
      target,
      query,
      outputColumns: await this.probe(query),
      sources: await this.sources(),
      searchPath: ['public'],
      worstVolatility: 'i',
      mode: 'DIFFERENTIAL',
    };
  }

  /**
   * Compile `query`, create its storage table (named `st_<n>` unless given)
   * with hidden columns and indexes, set the frontiers and run the FULL refresh.
   */
  async streamTable(query: string, opts: { target?: { schema: string; name: string }; compile?: CompileOptions } = {}): Promise<StreamTable> {
    const pgtId = this.nextPgtId++;
    const target = opts.target ?? { schema: 'public', name: `st_${pgtId}` };
    const input = await this.compileInput(query, target, pgtId);
    const plan = compile(input, opts.compile);
    const cols = [
      '__pgt_row_id bigint NOT NULL',
      ...input.outputColumns.map((c) => `${ident(c.name)} ${c.type}`),
      ...plan.hiddenColumns.map((h) => `${ident(h.name)} ${h.type}`),
    ];
    await this.exec(`CREATE SCHEMA IF NOT EXISTS ${ident(target.schema)}`);
    await this.exec(`CREATE TABLE ${qualified(target.schema, target.name)} (${cols.join(', ')})`);
    await this.exec(`CREATE ${plan.rowIdUnique ? 'UNIQUE ' : ''}INDEX ON ${qualified(target.schema, target.name)} (__pgt_row_id)`);
    for (const c of plan.groupByColumns) await this.exec(`CREATE INDEX ON ${qualified(target.schema, target.name)} (${ident(c)})`);
    for (const s of input.sources) {
      await this.exec(
        `INSERT INTO pgtrickle.pgt_coord_frontiers (pgt_id, source_relid, frontier) VALUES ($1, $2, pg_current_snapshot())`,
        [pgtId, s.relid],
      );
    }
    await this.exec(plan.fullRefreshSql);
    return { plan, input, query };
  }

  async refresh(st: StreamTable): Promise<void> {
    await this.exec(st.plan.differentialSql);
  }

  async full(st: StreamTable): Promise<void> {
    await this.exec(st.plan.fullRefreshSql);
  }

  /** Multiset comparison of storage (hidden columns excluded) with the query, plus row-id drift. */
  async oracle(st: StreamTable): Promise<OracleResult> {
    const target = qualified(st.input.target.schema, st.input.target.name);
    const userCols = st.input.outputColumns.map((c) => ident(c.name)).join(', ');
    const allCols = ['__pgt_row_id', ...st.input.outputColumns.map((c) => c.name), ...st.plan.hiddenColumns.map((h) => h.name)]
      .map(ident)
      .join(', ');
    const count = async (sql: string) => Number((await this.exec(`SELECT count(*)::int AS n FROM (${sql}) x`)).rows[0].n);
    const hasCount = st.plan.hiddenColumns.some((h) => h.name === '__pgt_count');
    return {
      extra: await count(`SELECT ${userCols} FROM ${target} EXCEPT ALL (${st.query})`),
      missing: await count(`(${st.query}) EXCEPT ALL SELECT ${userCols} FROM ${target}`),
      idDrift:
        (await count(`SELECT ${allCols} FROM ${target} EXCEPT ALL (${st.plan.fullSelectSql})`)) +
        (await count(`(${st.plan.fullSelectSql}) EXCEPT ALL SELECT ${allCols} FROM ${target}`)),
      negativeCounts: hasCount ? await count(`SELECT 1 FROM ${target} WHERE __pgt_count < 0`) : 0,
    };
  }

  async rows(st: StreamTable, orderBy = '1'): Promise<Record<string, unknown>[]> {
    const target = qualified(st.input.target.schema, st.input.target.name);
    const userCols = st.input.outputColumns.map((c) => ident(c.name)).join(', ');
    return (await this.exec(`SELECT ${userCols} FROM ${target} ORDER BY ${orderBy}`)).rows;
  }
}

export const CLEAN: OracleResult = { extra: 0, missing: 0, idDrift: 0, negativeCounts: 0 };

export { literal };
