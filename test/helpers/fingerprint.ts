import type { TestDatabase } from './db.ts';

/** Everything a failed create could leave behind: catalog rows, relations, triggers, functions. */
export async function objectFingerprint(db: TestDatabase): Promise<Record<string, unknown>> {
  const [row] = await db.query(`
    SELECT (SELECT count(*) FROM pgtrickle.pgt_stream_tables)::int AS stream_tables,
           (SELECT count(*) FROM pgtrickle.pgt_dependencies)::int AS dependencies,
           (SELECT count(*) FROM pgtrickle.pgt_change_tracking)::int AS tracking,
           (SELECT count(*) FROM pgtrickle.pgt_coord_frontiers)::int AS frontiers,
           (SELECT count(*) FROM pgtrickle.pgt_coord_plans)::int AS plans,
           (SELECT array_agg(n.nspname || '.' || c.relname ORDER BY 1) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%'
               AND n.nspname NOT LIKE 'pg_toast_temp%') AS relations,
           (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal)::int AS triggers,
           (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'pgtrickle_changes')::int AS capture_functions`);
  return row!;
}
