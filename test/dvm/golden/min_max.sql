-- query: SELECT cust, min(amt) AS lo, max(amt) AS hi, count(*) AS n FROM orders GROUP BY cust
-- strategy: aggregate; hidden: __pgt_count bigint, __pgt_aux_min_1 numeric(10,2), __pgt_aux_max_2 numeric(10,2)
-- Project c5_cust::integer AS c9_cust, c6_min::numeric AS c10_lo, c7_max::numeric AS c11_hi, c8_count::bigint AS c12_n
--   Aggregate [MIN/MAX: extreme from the delta, group re-read when it leaves] GROUP BY (c2_cust AS c5_cust) min(c3_amt) AS c6_min, max(c3_amt) AS c7_max, count(*) AS c8_count
--     Scan "public"."orders" AS "orders" [cust, amt] key(id)

-- FULL
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(a."c5_cust")::text]::text[]) AS __pgt_row_id, CAST((a.c5_cust) AS integer) AS "cust", CAST((a.c6_min) AS numeric) AS "lo", CAST((a.c7_max) AS numeric) AS "hi", CAST((a.c8_count) AS bigint) AS "n", a.__pgt_count, a."__pgt_aux_min_1", a."__pgt_aux_max_2"
  FROM (
  SELECT (t.c2_cust) AS "c5_cust", pg_catalog.min((t.c3_amt)) AS "c6_min", pg_catalog.max((t.c3_amt)) AS "c7_max", pg_catalog.count(*) AS "c8_count", pg_catalog.count(*) AS __pgt_count, pg_catalog.min((t.c3_amt)) AS "__pgt_aux_min_1", pg_catalog.max((t.c3_amt)) AS "__pgt_aux_max_2"
    FROM (
    SELECT t."cust" AS "c2_cust", t."amt" AS "c3_amt", t."id" AS "c1_id" FROM "public"."orders" AS t
  ) AS t
   GROUP BY (t.c2_cust)
) AS a;

-- DELTA
WITH __pgt_cte_dscan_1 AS (
  SELECT c."new_cust" AS "c2_cust", c."new_amt" AS "c3_amt", c."new_id" AS "c1_id", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 8::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 8::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 8::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 8::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_cust" AS "c2_cust", c."old_amt" AS "c3_amt", c."old_id" AS "c1_id", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 8::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 8::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 8::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 8::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_aggchange_2 AS (
  SELECT (d.c2_cust) AS "c5_cust", COALESCE(pg_catalog.sum(d.__pgt_w), 0) AS __pgt_dcount, pg_catalog.count(*) AS __pgt_drows, pg_catalog.min(CASE WHEN ((d.c3_amt)) IS NOT NULL AND d.__pgt_w OPERATOR(pg_catalog.>) 0 THEN (d.c3_amt) END) AS __pgt_d0_0, pg_catalog.min(CASE WHEN ((d.c3_amt)) IS NOT NULL AND d.__pgt_w OPERATOR(pg_catalog.<) 0 THEN (d.c3_amt) END) AS __pgt_d0_1, pg_catalog.max(CASE WHEN ((d.c3_amt)) IS NOT NULL AND d.__pgt_w OPERATOR(pg_catalog.>) 0 THEN (d.c3_amt) END) AS __pgt_d1_0, pg_catalog.max(CASE WHEN ((d.c3_amt)) IS NOT NULL AND d.__pgt_w OPERATOR(pg_catalog.<) 0 THEN (d.c3_amt) END) AS __pgt_d1_1
    FROM __pgt_cte_dscan_1 AS d
   GROUP BY (d.c2_cust)
),
__pgt_cte_aggmerge_3 AS (
  SELECT k."c5_cust", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(k."c5_cust")::text]::text[]) AS __pgt_row_id, s.__pgt_row_id IS NOT NULL AS __pgt_had, (ROW(s."__pgt_count", s."__pgt_aux_min_1", s."__pgt_aux_max_2"))::text AS __pgt_old_state, (COALESCE(s.__pgt_count, 0) OPERATOR(pg_catalog.+) k.__pgt_dcount)::bigint AS __pgt_count, ((COALESCE(s.__pgt_count, 0) OPERATOR(pg_catalog.+) k.__pgt_dcount) OPERATOR(pg_catalog.>) 0 AND k.__pgt_drows OPERATOR(pg_catalog.>) 0 AND ((k.__pgt_d0_1 IS NOT NULL AND (s."__pgt_aux_min_1" IS NULL OR k.__pgt_d0_1 OPERATOR(pg_catalog.<=) s."__pgt_aux_min_1")) OR (k.__pgt_d1_1 IS NOT NULL AND (s."__pgt_aux_max_2" IS NULL OR k.__pgt_d1_1 OPERATOR(pg_catalog.>=) s."__pgt_aux_max_2")))) AS __pgt_rescan, (LEAST(s."__pgt_aux_min_1", k.__pgt_d0_0))::numeric(10,2) AS "__pgt_aux_min_1", (GREATEST(s."__pgt_aux_max_2", k.__pgt_d1_0))::numeric(10,2) AS "__pgt_aux_max_2"
    FROM __pgt_cte_aggchange_2 AS k
    LEFT JOIN "public"."st_8" AS s ON s.__pgt_row_id OPERATOR(pg_catalog.=) "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(k."c5_cust")::text]::text[])
),
__pgt_cte_aggrescan_4 AS (
  SELECT (t.c2_cust) AS "c5_cust", pg_catalog.min((t.c3_amt)) AS "c6_min", pg_catalog.max((t.c3_amt)) AS "c7_max"
    FROM (
    SELECT t.*
      FROM (
      SELECT DISTINCT m."c5_cust" FROM __pgt_cte_aggmerge_3 AS m WHERE m.__pgt_rescan
    ) AS k
      JOIN (
      SELECT t."cust" AS "c2_cust", t."amt" AS "c3_amt", t."id" AS "c1_id" FROM "public"."orders" AS t
    ) AS t
        ON ((k."c5_cust" OPERATOR(pg_catalog.=) (t.c2_cust) OR (k."c5_cust" IS NULL AND (t.c2_cust) IS NULL)))
  ) AS t
   GROUP BY (t.c2_cust)
)
SELECT v.__pgt_row_id, CASE WHEN v.__pgt_count OPERATOR(pg_catalog.>) 0 THEN 'I' ELSE 'D' END AS __pgt_action, CAST((v.c5_cust) AS integer) AS "cust", CAST((v.c6_min) AS numeric) AS "lo", CAST((v.c7_max) AS numeric) AS "hi", CAST((v.c8_count) AS bigint) AS "n", v."__pgt_count", v."__pgt_aux_min_1", v."__pgt_aux_max_2"
  FROM (
  SELECT m.*, m."__pgt_aux_min_1" AS "c6_min", m."__pgt_aux_max_2" AS "c7_max", m.__pgt_count AS "c8_count"
    FROM (
    SELECT m."c5_cust", m.__pgt_row_id, m.__pgt_had, m.__pgt_old_state, m.__pgt_count, m.__pgt_rescan, (CASE WHEN m.__pgt_rescan THEN r."c6_min" ELSE m."__pgt_aux_min_1" END)::numeric(10,2) AS "__pgt_aux_min_1", (CASE WHEN m.__pgt_rescan THEN r."c7_max" ELSE m."__pgt_aux_max_2" END)::numeric(10,2) AS "__pgt_aux_max_2"
      FROM __pgt_cte_aggmerge_3 AS m
      LEFT JOIN __pgt_cte_aggrescan_4 AS r ON ((r."c5_cust" OPERATOR(pg_catalog.=) m."c5_cust" OR (r."c5_cust" IS NULL AND m."c5_cust" IS NULL)))
  ) AS m
) AS v
 WHERE (v.__pgt_count OPERATOR(pg_catalog.>) 0 AND (NOT v.__pgt_had OR (ROW(v."__pgt_count", v."__pgt_aux_min_1", v."__pgt_aux_max_2"))::text IS DISTINCT FROM v.__pgt_old_state OR v.__pgt_rescan)) OR (NOT v.__pgt_count OPERATOR(pg_catalog.>) 0 AND v.__pgt_had);
