/** Connection URLs: one place that knows how a database name sits in them. */

/** The database a postgres:// URL names (`postgres` when it names none). */
export function databaseNameOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
}

/** The same server and credentials, another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + encodeURIComponent(database);
  return u.toString();
}

/** The identity of a database across nodes: the same server and name (`host:port/dbname`). */
export function databaseKey(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '5432'}/${databaseNameOf(url)}`;
}
