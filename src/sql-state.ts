/**
 * The SQLSTATEs the SQL API raises, one per kind of failure (the table in
 * docs/SQL_REFERENCE.md, "Errors"). Standard codes, so psql, drivers and
 * ORMs already understand them. Code branches on these, never on message text.
 */
export const SqlState = {
  /** a stream table (by name or pgt_id) does not exist: undefined_object */
  NotFound: '42704',
  /** a stream table or relation of that name exists: duplicate_table */
  AlreadyExists: '42P07',
  /** bad name, schedule, cron expression, mode, choice value, number, column name, source: invalid_parameter_value */
  InvalidArgument: '22023',
  /** the target schema does not exist: invalid_schema_name */
  SchemaMissing: '3F000',
  /** the defining query does not parse, or holds more than one statement: syntax_error (or the probe's own class-42 code) */
  QueryError: '42601',
  /** an operator, function or option pgtrickle cannot maintain this way: feature_not_supported */
  Unsupported: '0A000',
  /** direct DML on a stream table's storage: insufficient_privilege */
  Permission: '42501',
  /** suspended / in error, not suspended, or a refused state transition: object_not_in_prerequisite_state */
  WrongState: '55000',
  /** the stream table would read itself: invalid_recursion */
  Cycle: '42P15',
  /** the new query changes output columns other stream tables read: object_in_use */
  Conflict: '55006',
  /** refresh on a read replica: read_only_sql_transaction */
  ReadOnly: '25006',
  /** an invariant of pgtrickle broke (no refresh plan …): internal_error */
  Internal: 'XX000',
} as const;
export type SqlState = (typeof SqlState)[keyof typeof SqlState];
export type SqlErrorCategory = keyof typeof SqlState;

const BY_CODE = new Map<string, SqlErrorCategory>(
  (Object.entries(SqlState) as [SqlErrorCategory, string][]).map(([category, code]) => [code, category]),
);

/**
 * The SQLSTATE of an error: `sqlState` of pgtrickle's own error classes, else
 * `code` of the driver's DatabaseError; null when there is none.
 */
export function sqlStateOf(raw: unknown): string | null {
  const err = raw as { sqlState?: unknown; code?: unknown } | null;
  const code = typeof err?.sqlState === 'string' ? err.sqlState : err?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null;
}

/**
 * The category of a database error, by its SQLSTATE: one of the codes above,
 * else by class — a defining query the probe rejected keeps the server's own
 * class-42 code (42P01 undefined table, 42703 undefined column …). Null for
 * errors that are not the SQL API's (connection loss, serialization failures …).
 */
export function classifySqlError(raw: unknown): SqlErrorCategory | null {
  const code = sqlStateOf(raw);
  if (code === null) return null;
  const exact = BY_CODE.get(code);
  if (exact) return exact;
  switch (code.slice(0, 2)) {
    case '42':
      return 'QueryError';
    case 'XX':
      return 'Internal';
    default:
      return null;
  }
}
