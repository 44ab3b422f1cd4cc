-- query: SELECT cust, count(*) AS n, sum(amt) AS total, avg(amt) AS mean FROM orders GROUP BY cust
-- strategy: aggregate; hidden: __pgt_count bigint, __pgt_aux_sum_2 numeric, __pgt_aux_count_2 bigint
-- Project c5_cust::integer AS c9_cust, c6_count::bigint AS c10_n, c7_sum::numeric AS c11_total, c8_avg::numeric AS c12_mean
--   Aggregate GROUP BY (c2_cust AS c5_cust) count(*) AS c6_count, sum(c3_amt) AS c7_sum, avg(c3_amt) AS c8_avg
--     Scan "public"."orders" AS "orders" [cust, amt] key(id)

-- FULL
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(a."c5_cust")::text]::text[]) AS __pgt_row_id, CAST((a.c5_cust) AS integer) AS "cust", CAST((a.c6_count) AS bigint) AS "n", CAST((a.c7_sum) AS numeric) AS "total", CAST((a.c8_avg) AS numeric) AS "mean", a.__pgt_count, a."__pgt_aux_sum_2", a."__pgt_aux_count_2"
  FROM (
  SELECT (t.c2_cust) AS "c5_cust", pg_catalog.count(*) AS "c6_count", pg_catalog.sum((t.c3_amt)) AS "c7_sum", pg_catalog.avg((t.c3_amt)) AS "c8_avg", pg_catalog.count(*) AS __pgt_count, pg_catalog.sum(((t.c3_amt))::numeric) AS "__pgt_aux_sum_2", pg_catalog.count((t.c3_amt)) AS "__pgt_aux_count_2"
    FROM (
    SELECT t."cust" AS "c2_cust", t."amt" AS "c3_amt", t."id" AS "c1_id" FROM "public"."orders" AS t
  ) AS t
   GROUP BY (t.c2_cust)
) AS a;

-- DELTA
WITH __pgt_cte_dscan_1 AS (
  SELECT c."new_cust" AS "c2_cust", c."new_amt" AS "c3_amt", c."new_id" AS "c1_id", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 3::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 3::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 3::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 3::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_cust" AS "c2_cust", c."old_amt" AS "c3_amt", c."old_id" AS "c1_id", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 3::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 3::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 3::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 3::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_aggchange_2 AS (
  SELECT (d.c2_cust) AS "c5_cust", COALESCE(pg_catalog.sum(d.__pgt_w), 0) AS __pgt_dcount, pg_catalog.sum(CASE WHEN ((d.c3_amt)) IS NOT NULL THEN ((d.c3_amt))::numeric OPERATOR(pg_catalog.*) d.__pgt_w END) AS __pgt_d1_0, pg_catalog.sum(CASE WHEN ((d.c3_amt)) IS NOT NULL THEN d.__pgt_w ELSE 0 END) AS __pgt_d1_1
    FROM __pgt_cte_dscan_1 AS d
   GROUP BY (d.c2_cust)
)
SELECT v.__pgt_row_id, CASE WHEN v.__pgt_count OPERATOR(pg_catalog.>) 0 THEN 'I' ELSE 'D' END AS __pgt_action, CAST((v.c5_cust) AS integer) AS "cust", CAST((v.c6_count) AS bigint) AS "n", CAST((v.c7_sum) AS numeric) AS "total", CAST((v.c8_avg) AS numeric) AS "mean", v."__pgt_count", v."__pgt_aux_sum_2", v."__pgt_aux_count_2"
  FROM (
  SELECT m.*, m.__pgt_count AS "c6_count", CASE WHEN m."__pgt_aux_count_2" OPERATOR(pg_catalog.>) 0 THEN (m."__pgt_aux_sum_2")::numeric END AS "c7_sum", CASE WHEN m."__pgt_aux_count_2" OPERATOR(pg_catalog.>) 0 THEN (m."__pgt_aux_sum_2")::numeric OPERATOR(pg_catalog./) (m."__pgt_aux_count_2")::numeric END AS "c8_avg"
    FROM (
    SELECT k."c5_cust", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(k."c5_cust")::text]::text[]) AS __pgt_row_id, s.__pgt_row_id IS NOT NULL AS __pgt_had, (ROW(s."__pgt_count", s."__pgt_aux_sum_2", s."__pgt_aux_count_2"))::text AS __pgt_old_state, (COALESCE(s.__pgt_count, 0) OPERATOR(pg_catalog.+) k.__pgt_dcount)::bigint AS __pgt_count, (CASE WHEN (COALESCE(s."__pgt_aux_count_2", 0) OPERATOR(pg_catalog.+) COALESCE(k.__pgt_d1_1, 0)) OPERATOR(pg_catalog.>) 0 THEN COALESCE(s."__pgt_aux_sum_2" OPERATOR(pg_catalog.+) k.__pgt_d1_0, s."__pgt_aux_sum_2", k.__pgt_d1_0) END)::numeric AS "__pgt_aux_sum_2", ((COALESCE(s."__pgt_aux_count_2", 0) OPERATOR(pg_catalog.+) COALESCE(k.__pgt_d1_1, 0)))::bigint AS "__pgt_aux_count_2"
      FROM __pgt_cte_aggchange_2 AS k
      LEFT JOIN "public"."st_3" AS s ON s.__pgt_row_id OPERATOR(pg_catalog.=) "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(k."c5_cust")::text]::text[])
  ) AS m
) AS v
 WHERE (v.__pgt_count OPERATOR(pg_catalog.>) 0 AND (NOT v.__pgt_had OR (ROW(v."__pgt_count", v."__pgt_aux_sum_2", v."__pgt_aux_count_2"))::text IS DISTINCT FROM v.__pgt_old_state)) OR (NOT v.__pgt_count OPERATOR(pg_catalog.>) 0 AND v.__pgt_had);
