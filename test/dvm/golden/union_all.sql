-- query: SELECT id, 'order' AS kind FROM orders UNION ALL SELECT id, 'customer' FROM customers
-- strategy: keyed; hidden: none
-- UnionAll [c11_id, c12_kind] key(c13_branch_key)
--   Project c1_id::integer AS c5_id, 'order'::text AS c6_kind
--     Scan "public"."orders" AS "orders" [id] key(id)
--   Project c7_id::integer AS c9_id, 'customer'::text AS c10_column
--     Scan "public"."customers" AS "customers" [id] key(id)

-- FULL
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(r."c13_branch_key")::text]::text[]) AS __pgt_row_id, r."c11_id" AS "id", r."c12_kind" AS "kind"
  FROM (
  SELECT t."c5_id" AS "c11_id", t."c6_kind" AS "c12_kind", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[('1')::text, (t."c1_id")::text]::text[]) AS "c13_branch_key"
    FROM (
    SELECT CAST((t.c1_id) AS integer) AS "c5_id", CAST(('order') AS text) AS "c6_kind", t."c1_id" AS "c1_id"
      FROM (
      SELECT t."id" AS "c1_id" FROM "public"."orders" AS t
    ) AS t
  ) AS t
  UNION ALL
  SELECT t."c9_id" AS "c11_id", t."c10_column" AS "c12_kind", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[('2')::text, (t."c7_id")::text]::text[]) AS "c13_branch_key"
    FROM (
    SELECT CAST((t.c7_id) AS integer) AS "c9_id", CAST(('customer') AS text) AS "c10_column", t."c7_id" AS "c7_id"
      FROM (
      SELECT t."id" AS "c7_id" FROM "public"."customers" AS t
    ) AS t
  ) AS t
) AS r;

-- DELTA
WITH __pgt_cte_dscan_1 AS (
  SELECT c."new_id" AS "c1_id", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 5::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 5::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 5::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 5::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_id" AS "c1_id", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 5::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 5::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 5::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 5::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_dproject_2 AS (
  SELECT CAST((t.c1_id) AS integer) AS "c5_id", CAST(('order') AS text) AS "c6_kind", t."c1_id" AS "c1_id", t.__pgt_w
    FROM __pgt_cte_dscan_1 AS t
),
__pgt_cte_dscan_3 AS (
  SELECT c."new_id" AS "c7_id", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<customers>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 5::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 5::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 5::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 5::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_id" AS "c7_id", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<customers>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 5::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 5::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 5::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 5::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_dproject_4 AS (
  SELECT CAST((t.c7_id) AS integer) AS "c9_id", CAST(('customer') AS text) AS "c10_column", t."c7_id" AS "c7_id", t.__pgt_w
    FROM __pgt_cte_dscan_3 AS t
),
__pgt_cte_dunionall_5 AS (
  SELECT t."c5_id" AS "c11_id", t."c6_kind" AS "c12_kind", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[('1')::text, (t."c1_id")::text]::text[]) AS "c13_branch_key", t.__pgt_w
    FROM __pgt_cte_dproject_2 AS t
  UNION ALL
  SELECT t."c9_id" AS "c11_id", t."c10_column" AS "c12_kind", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[('2')::text, (t."c7_id")::text]::text[]) AS "c13_branch_key", t.__pgt_w
    FROM __pgt_cte_dproject_4 AS t
)
SELECT DISTINCT ON (n.__pgt_row_id) n.__pgt_row_id, CASE WHEN n.__pgt_n OPERATOR(pg_catalog.>) 0 THEN 'I' ELSE 'D' END AS __pgt_action, n."id", n."kind"
  FROM (
  SELECT o.*, (pg_catalog.sum(o.__pgt_w) OVER (PARTITION BY o.__pgt_row_id, o.__pgt_h))::bigint AS __pgt_n
    FROM (
    SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(d."c13_branch_key")::text]::text[]) AS __pgt_row_id, "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(d."c11_id")::text, (d."c12_kind")::text]::text[]) AS __pgt_h, d."c11_id" AS "id", d."c12_kind" AS "kind", d.__pgt_w
      FROM __pgt_cte_dunionall_5 AS d
  ) AS o
) AS n
 WHERE n.__pgt_n OPERATOR(pg_catalog.<>) 0
 ORDER BY n.__pgt_row_id, n.__pgt_n DESC;
