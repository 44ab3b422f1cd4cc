/**
 * One small error class per failure mode (nats.js habit). Every `catch (raw)`
 * boundary normalises with `toError` and keeps `cause`.
 */
export const ErrorCode = {
  Config: 'CONFIG',
  Connection: 'CONNECTION',
  Catalog: 'CATALOG',
  Embedded: 'EMBEDDED_POSTGRES',
  Usage: 'USAGE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class PgTrickleError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PgTrickleError';
  }
}

export class ConfigError extends PgTrickleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.Config, message, options);
    this.name = 'ConfigError';
  }
}

export class CatalogInstallError extends PgTrickleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.Catalog, message, options);
    this.name = 'CatalogInstallError';
  }
}

export class EmbeddedPostgresError extends PgTrickleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.Embedded, message, options);
    this.name = 'EmbeddedPostgresError';
  }
}

export function toError(raw: unknown): Error {
  if (raw instanceof Error) return raw;
  return new Error(typeof raw === 'string' ? raw : JSON.stringify(raw));
}

/**
 * A one-line description of a PostgreSQL error: message, then hint if any.
 * pg's DatabaseError carries `hint` and `code` (SQLSTATE).
 */
export function describeError(raw: unknown): string {
  const err = toError(raw) as Error & { hint?: string; code?: string };
  const hint = err.hint ? ` (hint: ${err.hint})` : '';
  return `${err.message}${hint}`;
}
