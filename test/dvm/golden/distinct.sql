-- query: SELECT DISTINCT region FROM customers
-- strategy: distinct; hidden: __pgt_count bigint
-- Distinct [c3_region]
--   Project c2_region::text AS c3_region
--     Scan "public"."customers" AS "customers" [region] key(id)

-- FULL
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(r."c3_region")::text]::text[]) AS __pgt_row_id, r."c3_region" AS "region", pg_catalog.count(*) AS __pgt_count
  FROM (
  SELECT CAST((t.c2_region) AS text) AS "c3_region", t."c1_id" AS "c1_id"
    FROM (
    SELECT t."region" AS "c2_region", t."id" AS "c1_id" FROM "public"."customers" AS t
  ) AS t
) AS r
 GROUP BY r."c3_region";

-- DELTA
WITH __pgt_cte_dscan_1 AS (
  SELECT c."new_region" AS "c2_region", c."new_id" AS "c1_id", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<customers>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 6::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 6::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 6::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 6::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_region" AS "c2_region", c."old_id" AS "c1_id", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<customers>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 6::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 6::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 6::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 6::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_dproject_2 AS (
  SELECT CAST((t.c2_region) AS text) AS "c3_region", t."c1_id" AS "c1_id", t.__pgt_w
    FROM __pgt_cte_dscan_1 AS t
),
__pgt_cte_distnet_3 AS (
  SELECT d."c3_region" AS "c3_region", pg_catalog.sum(d.__pgt_w) AS __pgt_dn
    FROM __pgt_cte_dproject_2 AS d
   GROUP BY d."c3_region"
)
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(x."c3_region")::text]::text[]) AS __pgt_row_id, CASE WHEN x.__pgt_new OPERATOR(pg_catalog.>) 0 THEN 'I' ELSE 'D' END AS __pgt_action, x."c3_region" AS "region", x.__pgt_new AS __pgt_count
  FROM (
  SELECT k.*,
         (COALESCE(s.__pgt_count, 0) OPERATOR(pg_catalog.+) k.__pgt_dn)::bigint AS __pgt_new,
         s.__pgt_row_id IS NOT NULL AS __pgt_had
    FROM __pgt_cte_distnet_3 AS k
    LEFT JOIN "public"."st_6" AS s ON s.__pgt_row_id OPERATOR(pg_catalog.=) "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(k."c3_region")::text]::text[])
) AS x
 WHERE x.__pgt_dn OPERATOR(pg_catalog.<>) 0 AND (x.__pgt_new OPERATOR(pg_catalog.>) 0 OR x.__pgt_had);
