/** The public library surface. Everything else is internal. */
export * from './api.ts';
export { loadConfig, type Config } from './config.ts';
export { installCatalog, loadBundle, CATALOG_VERSION, type InstallResult } from './catalog/install.ts';
export { PRODUCT_VERSION, PG_TRICKLE_VERSION } from './version.ts';
export { startCoordinator, discoverDatabases, type RunningCoordinator } from './coordinator/coordinator.ts';
export { CompilerPool } from './compile/pool.ts';
export { compileStreamTable, compilePendingPlans, PLAN_VERSION } from './compile/plans.ts';
export { createBus, type Bus, type BusConfigInput } from './bus/index.ts';
export { startEmbeddedPostgres, type EmbeddedServer } from './embedded.ts';
export { PgTrickleError, ConfigError, CatalogInstallError, EmbeddedPostgresError } from './errors.ts';
