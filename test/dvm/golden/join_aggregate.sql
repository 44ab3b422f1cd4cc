-- query: SELECT c.region, count(*) AS n, sum(o.amt) AS total FROM orders o JOIN customers c ON c.id = o.cust GROUP BY c.region
-- strategy: aggregate; hidden: __pgt_count bigint, __pgt_aux_sum_2 numeric, __pgt_aux_count_2 bigint
-- Project c7_region::text AS c10_region, c8_count::bigint AS c11_n, c9_sum::numeric AS c12_total
--   Aggregate GROUP BY (c6_region AS c7_region) count(*) AS c8_count, sum(c3_amt) AS c9_sum
--     Join ON c5_id = c2_cust
--       Scan "public"."orders" AS "o" [cust, amt] key(id)
--       Scan "public"."customers" AS "c" [id, region] key(id)

-- FULL
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(a."c7_region")::text]::text[]) AS __pgt_row_id, CAST((a.c7_region) AS text) AS "region", CAST((a.c8_count) AS bigint) AS "n", CAST((a.c9_sum) AS numeric) AS "total", a.__pgt_count, a."__pgt_aux_sum_2", a."__pgt_aux_count_2"
  FROM (
  SELECT (t.c6_region) AS "c7_region", pg_catalog.count(*) AS "c8_count", pg_catalog.sum((t.c3_amt)) AS "c9_sum", pg_catalog.count(*) AS __pgt_count, pg_catalog.sum(((t.c3_amt))::numeric) AS "__pgt_aux_sum_2", pg_catalog.count((t.c3_amt)) AS "__pgt_aux_count_2"
    FROM (
    SELECT l."c2_cust" AS "c2_cust", l."c3_amt" AS "c3_amt", r."c5_id" AS "c5_id", r."c6_region" AS "c6_region", l."c1_id" AS "c1_id"
      FROM (
      SELECT t."cust" AS "c2_cust", t."amt" AS "c3_amt", t."id" AS "c1_id" FROM "public"."orders" AS t
    ) AS l
      JOIN (
      SELECT t."id" AS "c5_id", t."region" AS "c6_region" FROM "public"."customers" AS t
    ) AS r
        ON (r.c5_id = l.c2_cust)
  ) AS t
   GROUP BY (t.c6_region)
) AS a;

-- DELTA
WITH __pgt_cte_dscan_1 AS (
  SELECT c."new_cust" AS "c2_cust", c."new_amt" AS "c3_amt", c."new_id" AS "c1_id", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 4::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 4::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 4::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 4::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_cust" AS "c2_cust", c."old_amt" AS "c3_amt", c."old_id" AS "c1_id", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 4::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 4::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 4::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 4::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_dscan_2 AS (
  SELECT c."new_id" AS "c5_id", c."new_region" AS "c6_region", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<customers>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 4::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 4::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 4::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 4::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_id" AS "c5_id", c."old_region" AS "c6_region", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<customers>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 4::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 4::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 4::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 4::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_djoin_3 AS (
  SELECT dl."c2_cust" AS "c2_cust", dl."c3_amt" AS "c3_amt", r."c5_id" AS "c5_id", r."c6_region" AS "c6_region", dl."c1_id" AS "c1_id", dl.__pgt_w AS __pgt_w
    FROM __pgt_cte_dscan_1 AS dl
    JOIN (
    SELECT t."id" AS "c5_id", t."region" AS "c6_region" FROM "public"."customers" AS t
  ) AS r
      ON (r.c5_id = dl.c2_cust)
  UNION ALL
  SELECT l."c2_cust" AS "c2_cust", l."c3_amt" AS "c3_amt", dr."c5_id" AS "c5_id", dr."c6_region" AS "c6_region", l."c1_id" AS "c1_id", dr.__pgt_w AS __pgt_w
    FROM (
    SELECT t."cust" AS "c2_cust", t."amt" AS "c3_amt", t."id" AS "c1_id" FROM "public"."orders" AS t
  ) AS l
    JOIN __pgt_cte_dscan_2 AS dr
      ON (dr.c5_id = l.c2_cust)
  UNION ALL
  SELECT dl."c2_cust" AS "c2_cust", dl."c3_amt" AS "c3_amt", dr."c5_id" AS "c5_id", dr."c6_region" AS "c6_region", dl."c1_id" AS "c1_id", OPERATOR(pg_catalog.-) (dl.__pgt_w OPERATOR(pg_catalog.*) dr.__pgt_w) AS __pgt_w
    FROM __pgt_cte_dscan_1 AS dl
    JOIN __pgt_cte_dscan_2 AS dr
      ON (dr.c5_id = dl.c2_cust)
),
__pgt_cte_aggchange_4 AS (
  SELECT (d.c6_region) AS "c7_region", COALESCE(pg_catalog.sum(d.__pgt_w), 0) AS __pgt_dcount, pg_catalog.sum(CASE WHEN ((d.c3_amt)) IS NOT NULL THEN ((d.c3_amt))::numeric OPERATOR(pg_catalog.*) d.__pgt_w END) AS __pgt_d1_0, pg_catalog.sum(CASE WHEN ((d.c3_amt)) IS NOT NULL THEN d.__pgt_w ELSE 0 END) AS __pgt_d1_1
    FROM __pgt_cte_djoin_3 AS d
   GROUP BY (d.c6_region)
)
SELECT v.__pgt_row_id, CASE WHEN v.__pgt_count OPERATOR(pg_catalog.>) 0 THEN 'I' ELSE 'D' END AS __pgt_action, CAST((v.c7_region) AS text) AS "region", CAST((v.c8_count) AS bigint) AS "n", CAST((v.c9_sum) AS numeric) AS "total", v."__pgt_count", v."__pgt_aux_sum_2", v."__pgt_aux_count_2"
  FROM (
  SELECT m.*, m.__pgt_count AS "c8_count", CASE WHEN m."__pgt_aux_count_2" OPERATOR(pg_catalog.>) 0 THEN (m."__pgt_aux_sum_2")::numeric END AS "c9_sum"
    FROM (
    SELECT k."c7_region", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(k."c7_region")::text]::text[]) AS __pgt_row_id, s.__pgt_row_id IS NOT NULL AS __pgt_had, (ROW(s."__pgt_count", s."__pgt_aux_sum_2", s."__pgt_aux_count_2"))::text AS __pgt_old_state, (COALESCE(s.__pgt_count, 0) OPERATOR(pg_catalog.+) k.__pgt_dcount)::bigint AS __pgt_count, (CASE WHEN (COALESCE(s."__pgt_aux_count_2", 0) OPERATOR(pg_catalog.+) COALESCE(k.__pgt_d1_1, 0)) OPERATOR(pg_catalog.>) 0 THEN COALESCE(s."__pgt_aux_sum_2" OPERATOR(pg_catalog.+) k.__pgt_d1_0, s."__pgt_aux_sum_2", k.__pgt_d1_0) END)::numeric AS "__pgt_aux_sum_2", ((COALESCE(s."__pgt_aux_count_2", 0) OPERATOR(pg_catalog.+) COALESCE(k.__pgt_d1_1, 0)))::bigint AS "__pgt_aux_count_2"
      FROM __pgt_cte_aggchange_4 AS k
      LEFT JOIN "public"."st_4" AS s ON s.__pgt_row_id OPERATOR(pg_catalog.=) "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(k."c7_region")::text]::text[])
  ) AS m
) AS v
 WHERE (v.__pgt_count OPERATOR(pg_catalog.>) 0 AND (NOT v.__pgt_had OR (ROW(v."__pgt_count", v."__pgt_aux_sum_2", v."__pgt_aux_count_2"))::text IS DISTINCT FROM v.__pgt_old_state)) OR (NOT v.__pgt_count OPERATOR(pg_catalog.>) 0 AND v.__pgt_had);
