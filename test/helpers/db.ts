/**
 * A fresh database per test file, cloned from the template that global-setup
 * prepared (catalog installed). Real PostgreSQL, never a mock.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { withDatabase } from '../../src/db-url.ts';

export interface TestDatabase {
  name: string;
  /** The admin's URL (a superuser): what the coordinator and the CLI connect with. */
  url: string;
  /** The URL the test's own statements use: the admin's, or the non-superuser owner's (PGTRICKLE_TEST_OWNER). */
  userUrl: string;
  /** A pool for the test's own statements. */
  pool: pg.Pool;
  /** A dedicated connection (for transactions that must stay open). */
  connect(): Promise<pg.Client>;
  /** A dedicated connection as the admin (installing the catalog is the coordinator's job). */
  connectAdmin(): Promise<pg.Client>;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Statements only a superuser may run (ALTER DATABASE, signalling other roles' backends, roles). */
  adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

export function adminUrl(): string {
  return inject('adminUrl');
}

export function urlFor(database: string): string {
  return withDatabase(inject('adminUrl'), database);
}

function withCredentials(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
}

/** Whether the tests' own statements run as a non-superuser (PGTRICKLE_TEST_OWNER=nonsuperuser). */
export function testsRunAsNonSuperuser(): boolean {
  return inject('ownerRole') !== null;
}

async function adminQuery(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: inject('adminUrl') });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** `withCatalog: false` clones template0 instead (no catalog), for install tests. */
export async function freshDatabase(options: { withCatalog?: boolean } = {}): Promise<TestDatabase> {
  const name = `${inject('databasePrefix')}${randomBytes(5).toString('hex')}`;
  const template = options.withCatalog === false ? 'template0' : inject('templateDatabase');
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const url = urlFor(name);
  const owner = inject('ownerRole');
  if (owner) {
    // What a DBA gives a user of her own database: schemas of her own, and public.
    const setup = new pg.Client({ connectionString: url });
    await setup.connect();
    try {
      await setup.query(`GRANT CREATE ON DATABASE ${name} TO ${owner.name}`);
      if (options.withCatalog === false) await setup.query(`ALTER SCHEMA public OWNER TO ${owner.name}`);
    } finally {
      await setup.end();
    }
  }
  const userUrl = owner ? withCredentials(url, owner.name, owner.password) : url;
  const pool = new pg.Pool({ connectionString: userUrl, max: 8 });
  pool.on('error', () => {});
  const adminPool = new pg.Pool({ connectionString: url, max: 2 });
  adminPool.on('error', () => {});
  const clients: pg.Client[] = [];
  return {
    name,
    url,
    userUrl,
    pool,
    async connect() {
      const client = new pg.Client({ connectionString: userUrl });
      client.on('error', () => {});
      await client.connect();
      clients.push(client);
      return client;
    },
    async connectAdmin() {
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => {});
      await client.connect();
      clients.push(client);
      return client;
    },
    async query(sql, params) {
      return (await pool.query(sql, params)).rows;
    },
    async adminQuery(sql, params) {
      return (await adminPool.query(sql, params)).rows;
    },
    async drop() {
      await Promise.allSettled(clients.map((c) => c.end()));
      await pool.end();
      await adminPool.end();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/**
 * The oracle: the stream table (hidden __pgt_ columns excluded) equals its
 * defining query as a multiset. Returns the rows that differ, so a failing
 * assertion shows them.
 */
export async function oracleDiff(
  db: { query: TestDatabase['query'] },
  streamTable: string,
  query: string,
): Promise<{ extra: unknown[]; missing: unknown[] }> {
  const cols = await db.query<{ col: string }>(
    `SELECT quote_ident(attname) AS col FROM pg_attribute
      WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attname NOT LIKE '\\_\\_pgt\\_%'
      ORDER BY attnum`,
    [streamTable],
  );
  const list = cols.map((c) => c.col).join(', ');
  const extra = await db.query(`SELECT ${list} FROM ${streamTable} EXCEPT ALL (${query})`);
  const missing = await db.query(`(${query}) EXCEPT ALL SELECT ${list} FROM ${streamTable}`);
  return { extra, missing };
}

/**
 * Makes the coordinator's refreshes of `table` fail with a retryable error
 * (lock timeout, SQLSTATE 55P03) while `during` runs: a 100 ms lock_timeout
 * for new sessions, the coordinator's refresh connections reset so they pick
 * it up, and the table held in ACCESS EXCLUSIVE mode by another session.
 */
export async function whileRefreshesTimeOut(db: TestDatabase, table: string, during: () => Promise<void>): Promise<void> {
  await db.adminQuery(`ALTER DATABASE ${db.name} SET lock_timeout = '100ms'`);
  await db.adminQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'pgtrickle refresh'`, [db.name]);
  await db.query(`INSERT INTO ${table} VALUES (1000000)`); // something to refresh
  const holder = await db.connect();
  await holder.query('BEGIN');
  await holder.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  try {
    await during();
  } finally {
    await holder.query('ROLLBACK');
    await db.adminQuery(`ALTER DATABASE ${db.name} RESET lock_timeout`);
  }
}
