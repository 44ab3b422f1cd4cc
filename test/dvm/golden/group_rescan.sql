-- query: SELECT cust, string_agg(note, ',' ORDER BY note) AS notes, count(DISTINCT amt) AS amounts FROM orders GROUP BY cust
-- strategy: aggregate; hidden: __pgt_count bigint
-- Project c5_cust::integer AS c8_cust, c6_string_agg::text AS c9_notes, c7_count::bigint AS c10_amounts
--   Aggregate [group rescan: touched groups re-read] GROUP BY (c2_cust AS c5_cust) rescan string_agg(c4_note, ',' ORDER BY c4_note) AS c6_string_agg, rescan count(DISTINCT c3_amt) AS c7_count
--     Scan "public"."orders" AS "orders" [cust, amt, note] key(id)

-- FULL
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(a."c5_cust")::text]::text[]) AS __pgt_row_id, CAST((a.c5_cust) AS integer) AS "cust", CAST((a.c6_string_agg) AS text) AS "notes", CAST((a.c7_count) AS bigint) AS "amounts", a.__pgt_count
  FROM (
  SELECT (t.c2_cust) AS "c5_cust", (string_agg(t.c4_note, ',' ORDER BY t.c4_note)) AS "c6_string_agg", (count(DISTINCT t.c3_amt)) AS "c7_count", pg_catalog.count(*) AS __pgt_count
    FROM (
    SELECT t."cust" AS "c2_cust", t."amt" AS "c3_amt", t."note" AS "c4_note", t."id" AS "c1_id" FROM "public"."orders" AS t
  ) AS t
   GROUP BY (t.c2_cust)
) AS a;

-- DELTA
WITH __pgt_cte_dscan_1 AS (
  SELECT c."new_cust" AS "c2_cust", c."new_amt" AS "c3_amt", c."new_note" AS "c4_note", c."new_id" AS "c1_id", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 9::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 9::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 9::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 9::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_cust" AS "c2_cust", c."old_amt" AS "c3_amt", c."old_note" AS "c4_note", c."old_id" AS "c1_id", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 9::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 9::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 9::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 9::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_aggchange_2 AS (
  SELECT (d.c2_cust) AS "c5_cust", COALESCE(pg_catalog.sum(d.__pgt_w), 0) AS __pgt_dcount, pg_catalog.count(*) AS __pgt_drows
    FROM __pgt_cte_dscan_1 AS d
   GROUP BY (d.c2_cust)
),
__pgt_cte_aggmerge_3 AS (
  SELECT k."c5_cust", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(k."c5_cust")::text]::text[]) AS __pgt_row_id, s.__pgt_row_id IS NOT NULL AS __pgt_had, (ROW(s."__pgt_count"))::text AS __pgt_old_state, (COALESCE(s.__pgt_count, 0) OPERATOR(pg_catalog.+) k.__pgt_dcount)::bigint AS __pgt_count, ((COALESCE(s.__pgt_count, 0) OPERATOR(pg_catalog.+) k.__pgt_dcount) OPERATOR(pg_catalog.>) 0 AND k.__pgt_drows OPERATOR(pg_catalog.>) 0 AND (true)) AS __pgt_rescan
    FROM __pgt_cte_aggchange_2 AS k
    LEFT JOIN "public"."st_9" AS s ON s.__pgt_row_id OPERATOR(pg_catalog.=) "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(k."c5_cust")::text]::text[])
),
__pgt_cte_aggrescan_4 AS (
  SELECT (t.c2_cust) AS "c5_cust", (string_agg(t.c4_note, ',' ORDER BY t.c4_note)) AS "c6_string_agg", (count(DISTINCT t.c3_amt)) AS "c7_count"
    FROM (
    SELECT t.*
      FROM (
      SELECT DISTINCT m."c5_cust" FROM __pgt_cte_aggmerge_3 AS m WHERE m.__pgt_rescan
    ) AS k
      JOIN (
      SELECT t."cust" AS "c2_cust", t."amt" AS "c3_amt", t."note" AS "c4_note", t."id" AS "c1_id" FROM "public"."orders" AS t
    ) AS t
        ON ((k."c5_cust" OPERATOR(pg_catalog.=) (t.c2_cust) OR (k."c5_cust" IS NULL AND (t.c2_cust) IS NULL)))
  ) AS t
   GROUP BY (t.c2_cust)
)
SELECT v.__pgt_row_id, CASE WHEN v.__pgt_count OPERATOR(pg_catalog.>) 0 THEN 'I' ELSE 'D' END AS __pgt_action, CAST((v.c5_cust) AS integer) AS "cust", CAST((v.c6_string_agg) AS text) AS "notes", CAST((v.c7_count) AS bigint) AS "amounts", v."__pgt_count"
  FROM (
  SELECT m.*, m."__pgt_r_c6_string_agg" AS "c6_string_agg", m."__pgt_r_c7_count" AS "c7_count"
    FROM (
    SELECT m."c5_cust", m.__pgt_row_id, m.__pgt_had, m.__pgt_old_state, m.__pgt_count, m.__pgt_rescan, r."c6_string_agg" AS "__pgt_r_c6_string_agg", r."c7_count" AS "__pgt_r_c7_count"
      FROM __pgt_cte_aggmerge_3 AS m
      LEFT JOIN __pgt_cte_aggrescan_4 AS r ON ((r."c5_cust" OPERATOR(pg_catalog.=) m."c5_cust" OR (r."c5_cust" IS NULL AND m."c5_cust" IS NULL)))
  ) AS m
) AS v
 WHERE (v.__pgt_count OPERATOR(pg_catalog.>) 0 AND (NOT v.__pgt_had OR (ROW(v."__pgt_count"))::text IS DISTINCT FROM v.__pgt_old_state OR v.__pgt_rescan)) OR (NOT v.__pgt_count OPERATOR(pg_catalog.>) 0 AND v.__pgt_had);
