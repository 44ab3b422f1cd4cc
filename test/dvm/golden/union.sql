-- query: SELECT cust AS id FROM orders UNION SELECT id FROM customers
-- strategy: distinct; hidden: __pgt_count bigint
-- Distinct [c9_id]
--   UnionAll [c9_id] key(c10_branch_key)
--     Project c2_cust::integer AS c5_id
--       Scan "public"."orders" AS "orders" [cust] key(id)
--     Project c6_id::integer AS c8_id
--       Scan "public"."customers" AS "customers" [id] key(id)

-- FULL
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(r."c9_id")::text]::text[]) AS __pgt_row_id, r."c9_id" AS "id", pg_catalog.count(*) AS __pgt_count
  FROM (
  SELECT t."c5_id" AS "c9_id", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[('1')::text, (t."c1_id")::text]::text[]) AS "c10_branch_key"
    FROM (
    SELECT CAST((t.c2_cust) AS integer) AS "c5_id", t."c1_id" AS "c1_id"
      FROM (
      SELECT t."cust" AS "c2_cust", t."id" AS "c1_id" FROM "public"."orders" AS t
    ) AS t
  ) AS t
  UNION ALL
  SELECT t."c8_id" AS "c9_id", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[('2')::text, (t."c6_id")::text]::text[]) AS "c10_branch_key"
    FROM (
    SELECT CAST((t.c6_id) AS integer) AS "c8_id", t."c6_id" AS "c6_id"
      FROM (
      SELECT t."id" AS "c6_id" FROM "public"."customers" AS t
    ) AS t
  ) AS t
) AS r
 GROUP BY r."c9_id";

-- DELTA
WITH __pgt_cte_dscan_1 AS (
  SELECT c."new_cust" AS "c2_cust", c."new_id" AS "c1_id", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 11::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 11::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 11::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 11::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_cust" AS "c2_cust", c."old_id" AS "c1_id", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 11::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 11::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 11::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 11::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_dproject_2 AS (
  SELECT CAST((t.c2_cust) AS integer) AS "c5_id", t."c1_id" AS "c1_id", t.__pgt_w
    FROM __pgt_cte_dscan_1 AS t
),
__pgt_cte_dscan_3 AS (
  SELECT c."new_id" AS "c6_id", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<customers>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 11::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 11::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 11::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 11::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_id" AS "c6_id", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<customers>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 11::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 11::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 11::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 11::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_dproject_4 AS (
  SELECT CAST((t.c6_id) AS integer) AS "c8_id", t."c6_id" AS "c6_id", t.__pgt_w
    FROM __pgt_cte_dscan_3 AS t
),
__pgt_cte_dunionall_5 AS (
  SELECT t."c5_id" AS "c9_id", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[('1')::text, (t."c1_id")::text]::text[]) AS "c10_branch_key", t.__pgt_w
    FROM __pgt_cte_dproject_2 AS t
  UNION ALL
  SELECT t."c8_id" AS "c9_id", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[('2')::text, (t."c6_id")::text]::text[]) AS "c10_branch_key", t.__pgt_w
    FROM __pgt_cte_dproject_4 AS t
),
__pgt_cte_distnet_6 AS (
  SELECT d."c9_id" AS "c9_id", pg_catalog.sum(d.__pgt_w) AS __pgt_dn
    FROM __pgt_cte_dunionall_5 AS d
   GROUP BY d."c9_id"
)
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(x."c9_id")::text]::text[]) AS __pgt_row_id, CASE WHEN x.__pgt_new OPERATOR(pg_catalog.>) 0 THEN 'I' ELSE 'D' END AS __pgt_action, x."c9_id" AS "id", x.__pgt_new AS __pgt_count
  FROM (
  SELECT k.*,
         (COALESCE(s.__pgt_count, 0) OPERATOR(pg_catalog.+) k.__pgt_dn)::bigint AS __pgt_new,
         s.__pgt_row_id IS NOT NULL AS __pgt_had
    FROM __pgt_cte_distnet_6 AS k
    LEFT JOIN "public"."st_11" AS s ON s.__pgt_row_id OPERATOR(pg_catalog.=) "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(k."c9_id")::text]::text[])
) AS x
 WHERE x.__pgt_dn OPERATOR(pg_catalog.<>) 0 AND (x.__pgt_new OPERATOR(pg_catalog.>) 0 OR x.__pgt_had);
