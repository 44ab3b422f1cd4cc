/**
 * Connection resolution for one-shot commands (spec/tui-cli.md §2):
 * --url / PGTRICKLE_URL, then --host/--port/--dbname/--user/--password with the
 * PG* variables, then — ours — the embedded server if one is running from the
 * default data directory, then localhost:5432/postgres as user postgres.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { EMBEDDED_PASSWORD, EMBEDDED_USER } from '../index.ts';

export interface ConnectionFlags {
  url?: string;
  host?: string;
  port?: string;
  dbname?: string;
  user?: string;
  password?: string;
  dataDir?: string;
}

function embeddedUrl(dataDir: string): string | null {
  const pidFile = path.join(path.resolve(dataDir), 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  try {
    process.kill(pid, 0);
  } catch {
    return null; // stale pid file
  }
  return Number.isInteger(port) ? `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/pgtrickle` : null;
}

export function resolveConnectionString(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): string {
  if (flags.url) return flags.url;
  if (env.PGTRICKLE_URL) return env.PGTRICKLE_URL;
  const explicit = flags.host ?? flags.port ?? flags.dbname ?? flags.user ?? env.PGHOST ?? env.PGPORT ?? env.PGDATABASE ?? env.PGUSER;
  if (!explicit) {
    const embedded = embeddedUrl(flags.dataDir ?? env.PGTRICKLE_DATA_DIR ?? '.pgtrickle/data');
    if (embedded) return embedded;
  }
  const host = flags.host ?? env.PGHOST ?? 'localhost';
  const port = flags.port ?? env.PGPORT ?? '5432';
  const dbname = flags.dbname ?? env.PGDATABASE ?? 'postgres';
  const user = flags.user ?? env.PGUSER ?? 'postgres';
  const password = flags.password ?? env.PGPASSWORD;
  const url = new URL(`postgres://${encodeURIComponent(user)}@${host}:${port}/${encodeURIComponent(dbname)}`);
  if (password) url.password = encodeURIComponent(password);
  return url.toString();
}
