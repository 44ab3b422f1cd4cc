/**
 * Message schemas and the wire codec. Every message is msgpackr-encoded (plain
 * MessagePack maps: no record extension, so any MessagePack library can read
 * them) and validated with zod when published and when received.
 */
import { Packr } from 'msgpackr';
import { z } from 'zod';
import { InvalidMessageError } from './errors.ts';
import { EVENT_NAME } from './subjects.ts';

const epochMs = z.number().int().nonnegative();
const nonEmpty = z.string().min(1);

/** A request to refresh one stream table in one database. */
export const RefreshJob = z.object({
  /** Database name (as configured; the subject carries it encoded). */
  database: nonEmpty.max(63 * 4),
  /** `pgtrickle.pgt_stream_tables.pgt_id` in that database. */
  pgtId: z.number().int().positive(),
  /** Qualified stream table name, for logs (`schema.name`). */
  name: nonEmpty,
  /** When the scheduler enqueued it (epoch milliseconds). */
  enqueuedAt: epochMs,
  /** When the stream table became due (epoch ms; duration schedules), for the scheduling-lag metric. */
  dueAt: epochMs.optional(),
  /** The scheduler's own retry counter, if it re-enqueues (not the bus delivery count). */
  attempt: z.number().int().nonnegative().optional(),
  /** Why it was enqueued (`schedule`, `manual`, `upstream`, …), for logs. */
  reason: z.string().max(200).optional(),
});
export type RefreshJob = z.infer<typeof RefreshJob>;

/**
 * An alert: the spec's pg_trickle_alert payload (§11.1) plus `database` and
 * `at`. Per-stream-table events carry `pgt_schema`, `pgt_name`, `st`; extra
 * fields of the event (e.g. `error`, `consecutive_errors`) pass through.
 */
export const Alert = z.looseObject({
  event: z.string().regex(EVENT_NAME, 'event must be lower_snake_case (a subject token)'),
  database: nonEmpty,
  pgt_schema: z.string().optional(),
  pgt_name: z.string().optional(),
  st: z.string().optional(),
  /** ISO 8601 time the alert was raised. */
  at: z.iso.datetime({ offset: true }),
});
export type Alert = z.infer<typeof Alert>;

/** Extra fields given to publishAlert (everything except event, database; `at` defaults to now). */
export const AlertPayload = z.looseObject({
  pgt_schema: z.string().optional(),
  pgt_name: z.string().optional(),
  st: z.string().optional(),
  at: z.iso.datetime({ offset: true }).optional(),
});
export type AlertPayload = z.input<typeof AlertPayload>;

/** The value stored under a lease key. */
export const LeaseRecord = z.object({
  key: nonEmpty,
  owner: nonEmpty,
  /** When this owner first acquired the lease (owner's clock, epoch ms). */
  acquiredAt: epochMs,
  /** When this owner last wrote it (owner's clock, epoch ms). */
  renewedAt: epochMs,
});
export type LeaseRecord = z.infer<typeof LeaseRecord>;

/** What a node tells the others about itself on every heartbeat. */
export const NodeInfo = z.looseObject({
  host: z.string().optional(),
  pid: z.number().int().optional(),
  startedAt: epochMs.optional(),
  /** Databases this node currently owns (leases held). */
  databases: z.array(z.string()).optional(),
  version: z.string().optional(),
});
export type NodeInfo = z.infer<typeof NodeInfo>;

/** The value stored under a node key. */
export const NodeRecord = z.object({
  nodeId: nonEmpty,
  info: NodeInfo,
  /** Heartbeat time (node's clock, epoch ms). */
  at: epochMs,
});
export type NodeRecord = z.infer<typeof NodeRecord>;

const packr = new Packr({ useRecords: false, moreTypes: false, encodeUndefinedAsNil: false });

function dropUndefined(value: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out;
}

/** Validate then encode; throws InvalidMessageError. */
export function encode<S extends z.ZodType>(schema: S, kind: string, value: unknown): { data: Uint8Array; value: z.infer<S> } {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidMessageError(kind, parsed.error.issues, { cause: parsed.error });
  const v = parsed.data as z.infer<S>;
  return { data: packr.pack(typeof v === 'object' && v !== null ? dropUndefined(v) : v), value: v };
}

/** Decode then validate; throws InvalidMessageError (callers on the receive path log and drop). */
export function decode<S extends z.ZodType>(schema: S, kind: string, data: Uint8Array): z.infer<S> {
  let raw: unknown;
  try {
    raw = packr.unpack(data);
  } catch (err) {
    throw new InvalidMessageError(kind, [{ path: [], message: `not MessagePack (${(err as Error).message})` }], { cause: err });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new InvalidMessageError(kind, parsed.error.issues, { cause: parsed.error });
  return parsed.data as z.infer<S>;
}

/** Encode without validation: only for tests that need to put a bad message on the wire. */
export function encodeUnchecked(value: unknown): Uint8Array {
  return packr.pack(value);
}
