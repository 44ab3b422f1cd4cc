/** The bus (D8): `createBus(config)` picks the implementation. See docs/CLUSTER.md. */
import { silentLogger, type Logger } from '../log.ts';
import { BusConfigError } from './errors.ts';
import { LocalBus, LocalHub } from './local.ts';
import { NatsBus } from './nats.ts';
import { BusConfig, type BusConfigInput, type Bus } from './types.ts';

export interface CreateBusOptions {
  logger?: Logger;
  /** Local only: share state with other LocalBus instances (several in-process nodes). */
  hub?: LocalHub;
}

/** `{ kind: 'local' }` (default when no NATS URL is configured) or `{ kind: 'nats', url, … }`. */
export async function createBus(config: BusConfigInput = { kind: 'local' }, options: CreateBusOptions = {}): Promise<Bus> {
  const parsed = BusConfig.safeParse(config);
  if (!parsed.success) {
    throw new BusConfigError(`invalid bus configuration: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`, {
      cause: parsed.error,
    });
  }
  const cfg = parsed.data;
  const log = options.logger ?? silentLogger;
  if (cfg.kind === 'local') return new LocalBus(options.hub ?? new LocalHub(cfg, log), log);
  return NatsBus.connect(cfg, log);
}

export { LocalBus, LocalHub } from './local.ts';
export { NatsBus } from './nats.ts';
export * from './errors.ts';
export * from './types.ts';
export { Alert, AlertPayload, LeaseRecord, NodeInfo, NodeRecord, RefreshJob, decode, encode } from './schemas.ts';
export { busNames, decodeToken, encodeToken, DEFAULT_NAMESPACE, type BusNames } from './subjects.ts';
