-- query: SELECT o.id, c.region, o.amt FROM orders o JOIN customers c ON c.id = o.cust
-- strategy: keyed; hidden: none
-- Project c1_id::integer AS c7_id, c6_region::text AS c8_region, c3_amt::numeric(10,2) AS c9_amt
--   Join ON c5_id = c2_cust
--     Scan "public"."orders" AS "o" [id, cust, amt] key(id)
--     Scan "public"."customers" AS "c" [id, region] key(id)

-- FULL
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(r."c1_id")::text, (r."c5_id")::text]::text[]) AS __pgt_row_id, r."c7_id" AS "id", r."c8_region" AS "region", r."c9_amt" AS "amt"
  FROM (
  SELECT CAST((t.c1_id) AS integer) AS "c7_id", CAST((t.c6_region) AS text) AS "c8_region", CAST((t.c3_amt) AS numeric(10,2)) AS "c9_amt", t."c1_id" AS "c1_id", t."c5_id" AS "c5_id"
    FROM (
    SELECT l."c1_id" AS "c1_id", l."c2_cust" AS "c2_cust", l."c3_amt" AS "c3_amt", r."c5_id" AS "c5_id", r."c6_region" AS "c6_region"
      FROM (
      SELECT t."id" AS "c1_id", t."cust" AS "c2_cust", t."amt" AS "c3_amt" FROM "public"."orders" AS t
    ) AS l
      JOIN (
      SELECT t."id" AS "c5_id", t."region" AS "c6_region" FROM "public"."customers" AS t
    ) AS r
        ON (r.c5_id = l.c2_cust)
  ) AS t
) AS r;

-- DELTA
WITH __pgt_cte_dscan_1 AS (
  SELECT c."new_id" AS "c1_id", c."new_cust" AS "c2_cust", c."new_amt" AS "c3_amt", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 2::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 2::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 2::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 2::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_id" AS "c1_id", c."old_cust" AS "c2_cust", c."old_amt" AS "c3_amt", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 2::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 2::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 2::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 2::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_dscan_2 AS (
  SELECT c."new_id" AS "c5_id", c."new_region" AS "c6_region", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<customers>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 2::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 2::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 2::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 2::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_id" AS "c5_id", c."old_region" AS "c6_region", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<customers>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 2::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 2::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 2::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 2::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_djoin_3 AS (
  SELECT dl."c1_id" AS "c1_id", dl."c2_cust" AS "c2_cust", dl."c3_amt" AS "c3_amt", r."c5_id" AS "c5_id", r."c6_region" AS "c6_region", dl.__pgt_w AS __pgt_w
    FROM __pgt_cte_dscan_1 AS dl
    JOIN (
    SELECT t."id" AS "c5_id", t."region" AS "c6_region" FROM "public"."customers" AS t
  ) AS r
      ON (r.c5_id = dl.c2_cust)
  UNION ALL
  SELECT l."c1_id" AS "c1_id", l."c2_cust" AS "c2_cust", l."c3_amt" AS "c3_amt", dr."c5_id" AS "c5_id", dr."c6_region" AS "c6_region", dr.__pgt_w AS __pgt_w
    FROM (
    SELECT t."id" AS "c1_id", t."cust" AS "c2_cust", t."amt" AS "c3_amt" FROM "public"."orders" AS t
  ) AS l
    JOIN __pgt_cte_dscan_2 AS dr
      ON (dr.c5_id = l.c2_cust)
  UNION ALL
  SELECT dl."c1_id" AS "c1_id", dl."c2_cust" AS "c2_cust", dl."c3_amt" AS "c3_amt", dr."c5_id" AS "c5_id", dr."c6_region" AS "c6_region", OPERATOR(pg_catalog.-) (dl.__pgt_w OPERATOR(pg_catalog.*) dr.__pgt_w) AS __pgt_w
    FROM __pgt_cte_dscan_1 AS dl
    JOIN __pgt_cte_dscan_2 AS dr
      ON (dr.c5_id = dl.c2_cust)
),
__pgt_cte_dproject_4 AS (
  SELECT CAST((t.c1_id) AS integer) AS "c7_id", CAST((t.c6_region) AS text) AS "c8_region", CAST((t.c3_amt) AS numeric(10,2)) AS "c9_amt", t."c1_id" AS "c1_id", t."c5_id" AS "c5_id", t.__pgt_w
    FROM __pgt_cte_djoin_3 AS t
)
SELECT DISTINCT ON (n.__pgt_row_id) n.__pgt_row_id, CASE WHEN n.__pgt_n OPERATOR(pg_catalog.>) 0 THEN 'I' ELSE 'D' END AS __pgt_action, n."id", n."region", n."amt"
  FROM (
  SELECT o.*, (pg_catalog.sum(o.__pgt_w) OVER (PARTITION BY o.__pgt_row_id, o.__pgt_h))::bigint AS __pgt_n
    FROM (
    SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(d."c1_id")::text, (d."c5_id")::text]::text[]) AS __pgt_row_id, "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(d."c7_id")::text, (d."c8_region")::text, (d."c9_amt")::text]::text[]) AS __pgt_h, d."c7_id" AS "id", d."c8_region" AS "region", d."c9_amt" AS "amt", d.__pgt_w
      FROM __pgt_cte_dproject_4 AS d
  ) AS o
) AS n
 WHERE n.__pgt_n OPERATOR(pg_catalog.<>) 0
 ORDER BY n.__pgt_row_id, n.__pgt_n DESC;
