/**
 * Bus errors: one small named class per failure mode, each keeping `cause`
 * (the nats.js habit). `code` is stable for programs; `message` is for people.
 */
export const BusErrorCode = {
  Config: 'BUS_CONFIG',
  Connection: 'BUS_CONNECTION',
  InvalidMessage: 'BUS_INVALID_MESSAGE',
  Publish: 'BUS_PUBLISH',
  Consume: 'BUS_CONSUME',
  Lease: 'BUS_LEASE',
  Closed: 'BUS_CLOSED',
} as const;
export type BusErrorCode = (typeof BusErrorCode)[keyof typeof BusErrorCode];

export class BusError extends Error {
  constructor(
    readonly code: BusErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BusError';
  }
}

/** The bus configuration is invalid (bad URL, namespace, TTL …). */
export class BusConfigError extends BusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(BusErrorCode.Config, message, options);
    this.name = 'BusConfigError';
  }
}

/** Could not connect to NATS, or JetStream is not enabled on the server. */
export class BusConnectionError extends BusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(BusErrorCode.Connection, message, options);
    this.name = 'BusConnectionError';
  }
}

/** A message failed its zod schema (on publish; on receive it is logged and dropped). */
export class InvalidMessageError extends BusError {
  constructor(
    readonly kind: string,
    readonly issues: readonly { path: readonly PropertyKey[]; message: string }[],
    options?: { cause?: unknown },
  ) {
    const detail = issues
      .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`)
      .join('; ');
    super(BusErrorCode.InvalidMessage, `invalid ${kind} message: ${detail}`, options);
    this.name = 'InvalidMessageError';
  }
}

/** The broker did not accept a publish (timeout, no stream, disconnected too long). */
export class BusPublishError extends BusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(BusErrorCode.Publish, message, options);
    this.name = 'BusPublishError';
  }
}

/** Setting up a consumer or subscription failed. */
export class BusConsumeError extends BusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(BusErrorCode.Consume, message, options);
    this.name = 'BusConsumeError';
  }
}

/** A lease or node-record operation failed for a reason other than losing a compare-and-set. */
export class LeaseError extends BusError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(BusErrorCode.Lease, message, options);
    this.name = 'LeaseError';
  }
}

/** The bus was used after close(). */
export class BusClosedError extends BusError {
  constructor(message = 'the bus is closed', options?: { cause?: unknown }) {
    super(BusErrorCode.Closed, message, options);
    this.name = 'BusClosedError';
  }
}
