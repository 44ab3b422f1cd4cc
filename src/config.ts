/**
 * Configuration is one validated, frozen object (DESIGN D11), compiled from a
 * JSON file, then the environment, then command-line flags (later wins).
 *
 * pg_trickle's GUCs keep their names under `pg_trickle` (e.g.
 * `{"pg_trickle": {"scheduler_interval_ms": 500}}`); a database can override
 * them with `ALTER DATABASE … SET pg_trickle.x = …`, which the coordinator reads
 * on its session (see DatabaseSession.readSettings).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './errors.ts';

export const PgTrickleSettingsSchema = z
  .object({
    /** Master switch: when false the scheduler refreshes nothing (manual refresh still works). */
    enabled: z.boolean().default(true),
    /** How often due-ness is checked (not the refresh frequency). */
    scheduler_interval_ms: z.number().int().min(100).max(600_000).default(1000),
    /** Refreshes running at once per database. */
    max_concurrent_refreshes: z.number().int().min(1).max(64).default(4),
    /** hot ×1, warm ×2, cold ×10, frozen never (duration schedules only). */
    tiered_scheduling: z.boolean().default(true),
  })
  .strict();

export const ConfigSchema = z
  .object({
    /** PostgreSQL connection URLs of the databases to manage. Empty = embedded PostgreSQL. */
    databases: z.array(z.string().min(1)).default([]),
    embedded: z
      .object({
        /** Data directory of the embedded PostgreSQL 18. */
        dataDir: z.string().default('.pgtrickle/data'),
        /** Port of the embedded PostgreSQL; 0 picks a free one. */
        port: z.number().int().min(0).max(65535).default(54329),
        /** Database created and managed in the embedded server. */
        database: z.string().default('pgtrickle'),
      })
      .strict()
      .prefault({}),
    nats: z
      .object({
        url: z.string().optional(),
        /** Streams and buckets are named after this; clusters sharing one NATS use different ones. */
        namespace: z.string().regex(/^[A-Za-z0-9_-]+$/).default('pgtrickle'),
      })
      .strict()
      .prefault({}),
    cluster: z
      .object({
        /** This node's name in leases, heartbeats and logs; default host-pid. */
        nodeId: z.string().min(1).optional(),
        /** A database whose owner stops renewing is taken over within this. */
        leaseTtlMs: z.number().int().min(1000).default(15_000),
        /** A refresh job not acked within this is redelivered to another node. */
        jobAckWaitMs: z.number().int().min(1000).default(60_000),
        /** Deliveries of a failing job before it goes to the stream table's error handling. */
        jobMaxDeliver: z.number().int().min(1).default(5),
        /** Refresh jobs this node runs at once, over all databases (bench/scale: the main throughput limit). */
        jobConcurrency: z.number().int().min(1).max(256).default(4),
      })
      .strict()
      .prefault({}),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    /** Compile pools; databases are sharded across them by a stable hash (DESIGN D9). */
    compilePools: z.number().int().min(1).max(64).default(1),
    /** Worker threads per compile pool. */
    compileThreads: z.number().int().min(1).max(64).default(1),
    /** Servers (admin URLs) whose databases with the pgtrickle catalog are managed too. */
    discover: z.array(z.string().min(1)).default([]),
    /** Port of /metrics and /healthz; null = not served, 0 = any free port. */
    metricsPort: z.number().int().min(0).max(65535).nullable().default(null),
    pg_trickle: PgTrickleSettingsSchema.prefault({}),
  })
  .strict();

export type Config = Readonly<z.infer<typeof ConfigSchema>>;
export type PgTrickleSettings = z.infer<typeof PgTrickleSettingsSchema>;
type ConfigInput = z.input<typeof ConfigSchema>;

export interface ConfigFlags {
  config?: string;
  database?: string[];
  natsUrl?: string;
  dataDir?: string;
  port?: number;
  logLevel?: string;
  schedulerIntervalMs?: number;
  metricsPort?: number;
  discover?: string[];
  nodeId?: string;
  leaseTtlMs?: number;
}

function readConfigFile(file: string): ConfigInput {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (raw) {
    throw new ConfigError(`cannot read configuration file ${file}: ${(raw as Error).message}`, { cause: raw });
  }
  try {
    return JSON.parse(text) as ConfigInput;
  } catch (raw) {
    throw new ConfigError(`configuration file ${file} is not valid JSON: ${(raw as Error).message}`, { cause: raw });
  }
}

function splitList(value: string | undefined): string[] | undefined {
  if (!value) return undefined;
  const items = value.split(/[\s,]+/).filter(Boolean);
  return items.length ? items : undefined;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const prev = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && prev && typeof prev === 'object' && !Array.isArray(prev)
        ? deepMerge(prev as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

/** file → environment → flags, validated once and frozen. */
export function loadConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const file = flags.config ?? env.PGTRICKLE_CONFIG;
  const fromFile = file ? readConfigFile(file) : {};
  const fromEnv = {
    databases: splitList(env.PGTRICKLE_DATABASES) ?? splitList(env.DATABASE_URL),
    nats: env.NATS_URL ? { url: env.NATS_URL } : undefined,
    cluster: env.PGTRICKLE_NODE_ID ? { nodeId: env.PGTRICKLE_NODE_ID } : undefined,
    logLevel: env.PGTRICKLE_LOG_LEVEL,
    embedded: env.PGTRICKLE_DATA_DIR ? { dataDir: env.PGTRICKLE_DATA_DIR } : undefined,
    metricsPort: env.PGTRICKLE_METRICS_PORT ? Number(env.PGTRICKLE_METRICS_PORT) : undefined,
  };
  const fromFlags = {
    databases: flags.database?.length ? flags.database : undefined,
    nats: flags.natsUrl ? { url: flags.natsUrl } : undefined,
    cluster:
      flags.nodeId !== undefined || flags.leaseTtlMs !== undefined
        ? { ...(flags.nodeId !== undefined ? { nodeId: flags.nodeId } : {}), ...(flags.leaseTtlMs !== undefined ? { leaseTtlMs: flags.leaseTtlMs } : {}) }
        : undefined,
    logLevel: flags.logLevel,
    embedded:
      flags.dataDir !== undefined || flags.port !== undefined
        ? { ...(flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {}), ...(flags.port !== undefined ? { port: flags.port } : {}) }
        : undefined,
    pg_trickle: flags.schedulerIntervalMs !== undefined ? { scheduler_interval_ms: flags.schedulerIntervalMs } : undefined,
    metricsPort: flags.metricsPort,
    discover: flags.discover?.length ? flags.discover : undefined,
  };
  const merged = deepMerge(deepMerge(fromFile as Record<string, unknown>, fromEnv), fromFlags);
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  for (const url of [...parsed.data.databases, ...parsed.data.discover]) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new ConfigError(`invalid database URL '${url}': expected postgres://user@host:port/database`);
    }
  }
  return deepFreeze(parsed.data);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
