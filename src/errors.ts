/**
 * One small error class per failure mode (nats.js habit). Every `catch (raw)`
 * boundary normalises with `toError` and keeps `cause`.
 */
import { classifySqlError, SqlState, type SqlErrorCategory } from './sql-state.ts';

export const ErrorCode = {
  Config: 'CONFIG',
  Connection: 'CONNECTION',
  Catalog: 'CATALOG',
  Embedded: 'EMBEDDED_POSTGRES',
  Usage: 'USAGE',
  // The SQL API's categories (src/sql-state.ts); each has its own SQLSTATE.
  NotFound: 'NOT_FOUND',
  AlreadyExists: 'ALREADY_EXISTS',
  InvalidArgument: 'INVALID_ARGUMENT',
  SchemaMissing: 'SCHEMA_MISSING',
  QueryError: 'QUERY_ERROR',
  Unsupported: 'UNSUPPORTED',
  Permission: 'PERMISSION',
  WrongState: 'WRONG_STATE',
  Cycle: 'CYCLE',
  Conflict: 'CONFLICT',
  ReadOnly: 'READ_ONLY',
  Internal: 'INTERNAL',
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

/** The database could not be reached. The message is `connection failed: <driver message>`. */
export class ConnectionFailedError extends PgTrickleError {
  constructor(cause: unknown) {
    super(ErrorCode.Connection, `connection failed: ${describeError(cause)}`, { cause });
    this.name = 'ConnectionFailedError';
  }
}

/** The database has no pgtrickle catalog (schema `pgtrickle` is missing). */
export class CatalogMissingError extends PgTrickleError {
  constructor(options?: { cause?: unknown }) {
    super(ErrorCode.Catalog, 'this database has no pgtrickle catalog; run `pgtrickle start` against it first', options);
    this.name = 'CatalogMissingError';
  }
}

/**
 * An error the SQL API raised, with its SQLSTATE (src/sql-state.ts). The
 * message, hint and detail are the server's; `cause` is the driver's error.
 */
export class SqlApiError extends PgTrickleError {
  readonly sqlState: string;
  readonly hint: string | undefined;
  readonly detail: string | undefined;
  constructor(code: ErrorCode, cause: unknown) {
    const fields = (typeof cause === 'object' && cause !== null ? cause : {}) as { message?: unknown; code?: unknown; hint?: unknown; detail?: unknown };
    super(code, typeof fields.message === 'string' ? fields.message : toError(cause).message, { cause });
    this.name = 'SqlApiError';
    this.sqlState = typeof fields.code === 'string' ? fields.code : '';
    this.hint = typeof fields.hint === 'string' && fields.hint ? fields.hint : undefined;
    this.detail = typeof fields.detail === 'string' && fields.detail ? fields.detail : undefined;
  }
}

/** 42704: no stream table of that name (or pgt_id). */
export class NotFoundError extends SqlApiError {
  constructor(cause: unknown) {
    super(ErrorCode.NotFound, cause);
    this.name = 'NotFoundError';
  }
}

/** 42P07: a stream table or another relation already has that name. */
export class AlreadyExistsError extends SqlApiError {
  constructor(cause: unknown) {
    super(ErrorCode.AlreadyExists, cause);
    this.name = 'AlreadyExistsError';
  }
}

/** 22023: a bad name, schedule, cron expression, mode, choice value, number, output column or source. */
export class InvalidArgumentError extends SqlApiError {
  constructor(cause: unknown) {
    super(ErrorCode.InvalidArgument, cause);
    this.name = 'InvalidArgumentError';
  }
}

/** 3F000: the stream table's schema does not exist. */
export class SchemaMissingError extends SqlApiError {
  constructor(cause: unknown) {
    super(ErrorCode.SchemaMissing, cause);
    this.name = 'SchemaMissingError';
  }
}

/** 42601 or the probe's own class-42 code: the defining query does not parse or plan. */
export class QueryError extends SqlApiError {
  constructor(cause: unknown) {
    super(ErrorCode.QueryError, cause);
    this.name = 'QueryError';
  }
}

/** 0A000: an operator, volatile function or option that cannot be maintained this way. */
export class UnsupportedError extends SqlApiError {
  constructor(cause: unknown) {
    super(ErrorCode.Unsupported, cause);
    this.name = 'UnsupportedError';
  }
}

/** 42501: direct DML on a stream table's storage. */
export class PermissionDeniedError extends SqlApiError {
  constructor(cause: unknown) {
    super(ErrorCode.Permission, cause);
    this.name = 'PermissionDeniedError';
  }
}

/** 55000: suspended / in error, not suspended, or a refused state transition. */
export class WrongStateError extends SqlApiError {
  constructor(cause: unknown) {
    super(ErrorCode.WrongState, cause);
    this.name = 'WrongStateError';
  }
}

/** 42P15: the stream table would read itself through other stream tables. */
export class CycleError extends SqlApiError {
  constructor(cause: unknown) {
    super(ErrorCode.Cycle, cause);
    this.name = 'CycleError';
  }
}

/** 55006: the new query changes output columns that other stream tables read. */
export class ConflictError extends SqlApiError {
  constructor(cause: unknown) {
    super(ErrorCode.Conflict, cause);
    this.name = 'ConflictError';
  }
}

/** 25006: refresh on a read replica. */
export class ReadOnlyError extends SqlApiError {
  constructor(cause: unknown) {
    super(ErrorCode.ReadOnly, cause);
    this.name = 'ReadOnlyError';
  }
}

/** XX000: an invariant of pgtrickle broke (e.g. a stream table without a refresh plan). */
export class InternalError extends SqlApiError {
  constructor(cause: unknown) {
    super(ErrorCode.Internal, cause);
    this.name = 'InternalError';
  }
}

/**
 * The compiler found a construct it cannot maintain in an explicit
 * DIFFERENTIAL or IMMEDIATE create (DESIGN D7), before anything was created.
 * `construct` is the compiler's code (e.g. `aggregate_min_max`).
 */
export class UnsupportedRefreshModeError extends PgTrickleError {
  readonly sqlState = SqlState.Unsupported;
  constructor(message: string, readonly construct: string, readonly hint: string) {
    super(ErrorCode.Unsupported, message);
    this.name = 'UnsupportedRefreshModeError';
  }
}

/** One class per category: a new category does not compile until it has its class. */
export const SQL_API_ERRORS: { readonly [K in SqlErrorCategory]: new (cause: unknown) => SqlApiError } = {
  NotFound: NotFoundError,
  AlreadyExists: AlreadyExistsError,
  InvalidArgument: InvalidArgumentError,
  SchemaMissing: SchemaMissingError,
  QueryError: QueryError,
  Unsupported: UnsupportedError,
  Permission: PermissionDeniedError,
  WrongState: WrongStateError,
  Cycle: CycleError,
  Conflict: ConflictError,
  ReadOnly: ReadOnlyError,
  Internal: InternalError,
};

/** The SQL API's error as its class (keeping `cause`), or the raw error when it is not one of the API's codes. */
export function toSqlApiError(raw: unknown): unknown {
  if (raw instanceof PgTrickleError) return raw;
  const category = classifySqlError(raw);
  return category ? new SQL_API_ERRORS[category](raw) : raw;
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
