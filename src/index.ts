/** The public library surface. Everything else is internal. */
export * from './api.ts';
export * from './introspection.ts';
export { loadConfig, type Config, type ConfigFlags } from './config.ts';
export { createLogger, type Logger } from './log.ts';
export { installCatalog, loadBundle, CATALOG_VERSION, type InstallResult } from './catalog/install.ts';
export { PRODUCT_VERSION, PG_TRICKLE_VERSION } from './version.ts';
export { startCoordinator, discoverDatabases, type RunningCoordinator } from './coordinator/coordinator.ts';
export { CompilerPool } from './compile/pool.ts';
export { compileStreamTable, compilePendingPlans, PLAN_VERSION } from './compile/plans.ts';
export { createBus, type Bus, type BusConfigInput } from './bus/index.ts';
export { startEmbeddedPostgres, EMBEDDED_USER, EMBEDDED_PASSWORD, type EmbeddedServer } from './embedded.ts';
export {
  PgTrickleError,
  ErrorCode,
  ConfigError,
  CatalogInstallError,
  CatalogMissingError,
  ConnectionFailedError,
  EmbeddedPostgresError,
  SqlApiError,
  NotFoundError,
  AlreadyExistsError,
  InvalidArgumentError,
  SchemaMissingError,
  QueryError,
  UnsupportedError,
  PermissionDeniedError,
  WrongStateError,
  CycleError,
  ConflictError,
  ReadOnlyError,
  InternalError,
  SQL_API_ERRORS,
  toSqlApiError,
  describeError,
} from './errors.ts';
export { SqlState, classifySqlError, sqlStateOf, type SqlErrorCategory } from './sql-state.ts';
