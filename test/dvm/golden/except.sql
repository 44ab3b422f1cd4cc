-- query: SELECT id FROM customers EXCEPT SELECT cust FROM orders
-- strategy: keyed; hidden: none
-- Except [c9_id] (counting: each changed row counted in both inputs)
--   Project c1_id::integer AS c3_id
--     Scan "public"."customers" AS "customers" [id] key(id)
--   Project c5_cust::integer AS c8_cust
--     Scan "public"."orders" AS "orders" [cust] key(id)

-- FULL
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(r."c9_id")::text]::text[]) AS __pgt_row_id, r."c9_id" AS "id"
  FROM (
  SELECT t."c3_id" AS "c9_id"
    FROM (
    SELECT CAST((t.c1_id) AS integer) AS "c3_id", t."c1_id" AS "c1_id"
      FROM (
      SELECT t."id" AS "c1_id" FROM "public"."customers" AS t
    ) AS t
  ) AS t
  EXCEPT
  SELECT t."c8_cust" AS "c9_id"
    FROM (
    SELECT CAST((t.c5_cust) AS integer) AS "c8_cust", t."c4_id" AS "c4_id"
      FROM (
      SELECT t."cust" AS "c5_cust", t."id" AS "c4_id" FROM "public"."orders" AS t
    ) AS t
  ) AS t
) AS r;

-- DELTA
WITH __pgt_cte_dscan_1 AS (
  SELECT c."new_id" AS "c1_id", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<customers>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 13::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 13::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 13::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 13::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_id" AS "c1_id", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<customers>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 13::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 13::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 13::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 13::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_dproject_2 AS (
  SELECT CAST((t.c1_id) AS integer) AS "c3_id", t."c1_id" AS "c1_id", t.__pgt_w
    FROM __pgt_cte_dscan_1 AS t
),
__pgt_cte_dscan_3 AS (
  SELECT c."new_cust" AS "c5_cust", c."new_id" AS "c4_id", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 13::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 13::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 13::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 13::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_cust" AS "c5_cust", c."old_id" AS "c4_id", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 13::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 13::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 13::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 13::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_dproject_4 AS (
  SELECT CAST((t.c5_cust) AS integer) AS "c8_cust", t."c4_id" AS "c4_id", t.__pgt_w
    FROM __pgt_cte_dscan_3 AS t
),
__pgt_cte_setopnet_5 AS (
  SELECT u."c9_id" AS "c9_id", pg_catalog.sum(u.__pgt_dl)::bigint AS __pgt_dl, pg_catalog.sum(u.__pgt_dr)::bigint AS __pgt_dr
    FROM (
  SELECT t."c9_id" AS "c9_id", t.__pgt_w AS __pgt_dl, 0::bigint AS __pgt_dr
    FROM (
    SELECT t."c3_id" AS "c9_id", t.__pgt_w
      FROM __pgt_cte_dproject_2 AS t
  ) AS t
    UNION ALL
  SELECT t."c9_id" AS "c9_id", 0::bigint AS __pgt_dl, t.__pgt_w AS __pgt_dr
    FROM (
    SELECT t."c8_cust" AS "c9_id", t.__pgt_w
      FROM __pgt_cte_dproject_4 AS t
  ) AS t
    ) AS u
   GROUP BY u."c9_id"
),
__pgt_cte_dsetop_6 AS (
  SELECT y."c9_id" AS "c9_id", y.__pgt_net AS __pgt_w
    FROM (
    SELECT x.*, ((CASE WHEN (x.__pgt_l1) OPERATOR(pg_catalog.>) 0 AND NOT (x.__pgt_r1) OPERATOR(pg_catalog.>) 0 THEN 1 ELSE 0 END) OPERATOR(pg_catalog.-) (CASE WHEN (x.__pgt_l1 OPERATOR(pg_catalog.-) x.__pgt_dl) OPERATOR(pg_catalog.>) 0 AND NOT (x.__pgt_r1 OPERATOR(pg_catalog.-) x.__pgt_dr) OPERATOR(pg_catalog.>) 0 THEN 1 ELSE 0 END))::bigint AS __pgt_net
      FROM (
      SELECT k.*, (SELECT pg_catalog.count(*) FROM (
        SELECT CAST((t.c1_id) AS integer) AS "c3_id", t."c1_id" AS "c1_id"
          FROM (
          SELECT t."id" AS "c1_id" FROM "public"."customers" AS t
        ) AS t
      ) AS t WHERE ((t."c3_id" OPERATOR(pg_catalog.=) k."c9_id" OR (t."c3_id" IS NULL AND k."c9_id" IS NULL)))) AS __pgt_l1, (SELECT pg_catalog.count(*) FROM (
        SELECT CAST((t.c5_cust) AS integer) AS "c8_cust", t."c4_id" AS "c4_id"
          FROM (
          SELECT t."cust" AS "c5_cust", t."id" AS "c4_id" FROM "public"."orders" AS t
        ) AS t
      ) AS t WHERE ((t."c8_cust" OPERATOR(pg_catalog.=) k."c9_id" OR (t."c8_cust" IS NULL AND k."c9_id" IS NULL)))) AS __pgt_r1
        FROM __pgt_cte_setopnet_5 AS k
       WHERE k.__pgt_dl OPERATOR(pg_catalog.<>) 0 OR k.__pgt_dr OPERATOR(pg_catalog.<>) 0
    ) AS x
  ) AS y
   WHERE y.__pgt_net OPERATOR(pg_catalog.<>) 0
)
SELECT DISTINCT ON (n.__pgt_row_id) n.__pgt_row_id, CASE WHEN n.__pgt_n OPERATOR(pg_catalog.>) 0 THEN 'I' ELSE 'D' END AS __pgt_action, n."id"
  FROM (
  SELECT o.*, (pg_catalog.sum(o.__pgt_w) OVER (PARTITION BY o.__pgt_row_id, o.__pgt_h))::bigint AS __pgt_n
    FROM (
    SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(d."c9_id")::text]::text[]) AS __pgt_row_id, "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(d."c9_id")::text]::text[]) AS __pgt_h, d."c9_id" AS "id", d.__pgt_w
      FROM __pgt_cte_dsetop_6 AS d
  ) AS o
) AS n
 WHERE n.__pgt_n OPERATOR(pg_catalog.<>) 0
 ORDER BY n.__pgt_row_id, n.__pgt_n DESC;
