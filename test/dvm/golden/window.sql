-- query: SELECT id, cust, sum(amt) OVER (PARTITION BY cust ORDER BY id) AS running, rank() OVER (PARTITION BY cust ORDER BY amt DESC) AS r FROM orders
-- strategy: keyed; hidden: none
-- Project c1_id::integer AS c5_id, c2_cust::integer AS c6_cust, c9_sum::numeric AS c7_running, c10_rank::bigint AS c8_r
--   Window sum(c3_amt) OVER ( PARTITION BY c2_cust ORDER BY c1_id ) AS c9_sum, rank() OVER ( PARTITION BY c2_cust ORDER BY c3_amt DESC ) AS c10_rank (partition recompute: touched partitions re-read, by c2_cust)
--     Scan "public"."orders" AS "orders" [id, cust, amt] key(id)

-- FULL
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(r."c1_id")::text]::text[]) AS __pgt_row_id, r."c5_id" AS "id", r."c6_cust" AS "cust", r."c7_running" AS "running", r."c8_r" AS "r"
  FROM (
  SELECT CAST((t.c1_id) AS integer) AS "c5_id", CAST((t.c2_cust) AS integer) AS "c6_cust", CAST((t.c9_sum) AS numeric) AS "c7_running", CAST((t.c10_rank) AS bigint) AS "c8_r", t."c1_id" AS "c1_id"
    FROM (
    SELECT t."c1_id" AS "c1_id", t."c2_cust" AS "c2_cust", t."c3_amt" AS "c3_amt", (sum(t.c3_amt) OVER (
      PARTITION BY t.c2_cust
      ORDER BY t.c1_id
    )) AS "c9_sum", (rank() OVER (
      PARTITION BY t.c2_cust
      ORDER BY t.c3_amt DESC
    )) AS "c10_rank"
      FROM (
      SELECT t."id" AS "c1_id", t."cust" AS "c2_cust", t."amt" AS "c3_amt" FROM "public"."orders" AS t
    ) AS t
  ) AS t
) AS r;

-- DELTA
WITH __pgt_cte_dscan_1 AS (
  SELECT c."new_id" AS "c1_id", c."new_cust" AS "c2_cust", c."new_amt" AS "c3_amt", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 15::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 15::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 15::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 15::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_id" AS "c1_id", c."old_cust" AS "c2_cust", c."old_amt" AS "c3_amt", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 15::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 15::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 15::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 15::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_winkeys_2 AS (
  SELECT DISTINCT (d.c2_cust) AS __pgt_p0
    FROM __pgt_cte_dscan_1 AS d
),
__pgt_cte_winrows_3 AS (
  SELECT t.*
    FROM __pgt_cte_winkeys_2 AS k
    JOIN (
    SELECT t."id" AS "c1_id", t."cust" AS "c2_cust", t."amt" AS "c3_amt" FROM "public"."orders" AS t
  ) AS t
      ON ((k.__pgt_p0 OPERATOR(pg_catalog.=) (t.c2_cust) OR (k.__pgt_p0 IS NULL AND (t.c2_cust) IS NULL)))
),
__pgt_cte_dwindow_4 AS (
  SELECT s."c1_id" AS "c1_id", s."c2_cust" AS "c2_cust", s."c3_amt" AS "c3_amt", s."c9_sum" AS "c9_sum", s."c10_rank" AS "c10_rank", -1::bigint AS __pgt_w
    FROM (
    SELECT t."c1_id" AS "c1_id", t."c2_cust" AS "c2_cust", t."c3_amt" AS "c3_amt", (sum(t.c3_amt) OVER (
      PARTITION BY t.c2_cust
      ORDER BY t.c1_id
    )) AS "c9_sum", (rank() OVER (
      PARTITION BY t.c2_cust
      ORDER BY t.c3_amt DESC
    )) AS "c10_rank"
      FROM (
      SELECT x."c1_id", x."c2_cust", x."c3_amt"
        FROM (
        SELECT u."c1_id" AS "c1_id", u."c2_cust" AS "c2_cust", u."c3_amt" AS "c3_amt", pg_catalog.sum(u.__pgt_o) AS __pgt_m
          FROM (
          SELECT t."c1_id" AS "c1_id", t."c2_cust" AS "c2_cust", t."c3_amt" AS "c3_amt", 1::bigint AS __pgt_o
            FROM (
            SELECT * FROM __pgt_cte_winrows_3
          ) AS t
          UNION ALL
          SELECT d."c1_id" AS "c1_id", d."c2_cust" AS "c2_cust", d."c3_amt" AS "c3_amt", OPERATOR(pg_catalog.-) d.__pgt_w AS __pgt_o
            FROM __pgt_cte_dscan_1 AS d
        ) AS u
         GROUP BY u."c1_id", u."c2_cust", u."c3_amt"
        HAVING pg_catalog.sum(u.__pgt_o) OPERATOR(pg_catalog.>) 0
      ) AS x
       CROSS JOIN LATERAL pg_catalog.generate_series(1, x.__pgt_m) AS __pgt_copies
    ) AS t
  ) AS s
  UNION ALL
  SELECT s."c1_id" AS "c1_id", s."c2_cust" AS "c2_cust", s."c3_amt" AS "c3_amt", s."c9_sum" AS "c9_sum", s."c10_rank" AS "c10_rank", 1::bigint AS __pgt_w
    FROM (
    SELECT t."c1_id" AS "c1_id", t."c2_cust" AS "c2_cust", t."c3_amt" AS "c3_amt", (sum(t.c3_amt) OVER (
      PARTITION BY t.c2_cust
      ORDER BY t.c1_id
    )) AS "c9_sum", (rank() OVER (
      PARTITION BY t.c2_cust
      ORDER BY t.c3_amt DESC
    )) AS "c10_rank"
      FROM (
      SELECT * FROM __pgt_cte_winrows_3
    ) AS t
  ) AS s
),
__pgt_cte_dproject_5 AS (
  SELECT CAST((t.c1_id) AS integer) AS "c5_id", CAST((t.c2_cust) AS integer) AS "c6_cust", CAST((t.c9_sum) AS numeric) AS "c7_running", CAST((t.c10_rank) AS bigint) AS "c8_r", t."c1_id" AS "c1_id", t.__pgt_w
    FROM __pgt_cte_dwindow_4 AS t
)
SELECT DISTINCT ON (n.__pgt_row_id) n.__pgt_row_id, CASE WHEN n.__pgt_n OPERATOR(pg_catalog.>) 0 THEN 'I' ELSE 'D' END AS __pgt_action, n."id", n."cust", n."running", n."r"
  FROM (
  SELECT o.*, (pg_catalog.sum(o.__pgt_w) OVER (PARTITION BY o.__pgt_row_id, o.__pgt_h))::bigint AS __pgt_n
    FROM (
    SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(d."c1_id")::text]::text[]) AS __pgt_row_id, "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(d."c5_id")::text, (d."c6_cust")::text, (d."c7_running")::text, (d."c8_r")::text]::text[]) AS __pgt_h, d."c5_id" AS "id", d."c6_cust" AS "cust", d."c7_running" AS "running", d."c8_r" AS "r", d.__pgt_w
      FROM __pgt_cte_dproject_5 AS d
  ) AS o
) AS n
 WHERE n.__pgt_n OPERATOR(pg_catalog.<>) 0
 ORDER BY n.__pgt_row_id, n.__pgt_n DESC;
