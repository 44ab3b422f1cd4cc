/**
 * Subject, stream, consumer and bucket names (documented in docs/CLUSTER.md).
 *
 * Database names are arbitrary PostgreSQL identifiers (any character, up to 63
 * bytes), but a NATS subject token must not contain `.`, `*`, `>` or
 * whitespace, and a KV key only `[-/=.\w]`. `encodeToken` keeps
 * `[A-Za-z0-9_-]` and writes every other UTF-8 byte as `=XX` (two upper-case
 * hex digits), so the result is a valid subject token and KV key, is
 * injective (`=` itself is escaped) and reversible: `my.db` → `my=2Edb`,
 * `Sales DB` → `Sales=20DB`, `café` → `caf=C3=A9`.
 */
import { BusConfigError } from './errors.ts';

const SAFE = /^[A-Za-z0-9_-]$/;

export function encodeToken(name: string): string {
  if (name.length === 0) throw new BusConfigError('cannot encode an empty name as a subject token');
  let out = '';
  for (const ch of name) {
    if (SAFE.test(ch)) {
      out += ch;
      continue;
    }
    for (const byte of Buffer.from(ch, 'utf8')) out += `=${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function decodeToken(token: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < token.length; ) {
    const ch = token[i]!;
    if (ch === '=') {
      const hex = token.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) throw new BusConfigError(`malformed subject token ${JSON.stringify(token)}`);
      bytes.push(Number.parseInt(hex, 16));
      i += 3;
    } else {
      bytes.push(ch.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Alert event names are used as a subject token verbatim, so they are restricted. */
export const EVENT_NAME = /^[a-z][a-z0-9_]{0,62}$/;
/** A namespace is the first subject token and the stem of stream and bucket names. */
export const NAMESPACE = /^[a-z][a-z0-9_]{0,31}$/;

export const DEFAULT_NAMESPACE = 'pgtrickle';

/** Every name the bus uses on NATS, for one namespace (default `pgtrickle`). */
export function busNames(namespace: string = DEFAULT_NAMESPACE) {
  if (!NAMESPACE.test(namespace)) {
    throw new BusConfigError(`namespace must match ${NAMESPACE} (got ${JSON.stringify(namespace)})`);
  }
  const upper = namespace.toUpperCase();
  const jobsStream = `${upper}_JOBS`;
  const jobsConsumer = `${namespace}_workers`;
  return {
    namespace,
    /** `pgtrickle.jobs.<database>` */
    jobSubject: (database: string) => `${namespace}.jobs.${encodeToken(database)}`,
    jobsWildcard: `${namespace}.jobs.>`,
    jobsStream,
    jobsConsumer,
    /** Published by the server when a job reached max_deliver without an ack. */
    maxDeliveriesAdvisory: `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${jobsStream}.${jobsConsumer}`,
    /** `pgtrickle.alerts.<database>.<event>` */
    alertSubject: (database: string, event: string) => `${namespace}.alerts.${encodeToken(database)}.${event}`,
    alertFilter: (filter: { database?: string | undefined; event?: string | undefined }) =>
      `${namespace}.alerts.${filter.database === undefined ? '*' : encodeToken(filter.database)}.${filter.event ?? '*'}`,
    alertsWildcard: `${namespace}.alerts.>`,
    alertsStream: `${upper}_ALERTS`,
    leaseBucket: `${namespace}_leases`,
    nodeBucket: `${namespace}_nodes`,
  };
}
export type BusNames = ReturnType<typeof busNames>;
