-- query: SELECT cust, max(amt) AS hi FROM orders GROUP BY cust HAVING count(*) > 2
-- strategy: keyed; hidden: none
-- Project c5_cust::integer AS c8_cust, c6_max::numeric AS c9_hi
--   Filter c7_count > 2
--     Aggregate [MIN/MAX: extreme from the delta, group re-read when it leaves] GROUP BY (c2_cust AS c5_cust) max(c3_amt) AS c6_max, count(*) AS c7_count
--       Scan "public"."orders" AS "orders" [cust, amt] key(id)

-- FULL
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(r."c5_cust")::text]::text[]) AS __pgt_row_id, r."c8_cust" AS "cust", r."c9_hi" AS "hi"
  FROM (
  SELECT CAST((t.c5_cust) AS integer) AS "c8_cust", CAST((t.c6_max) AS numeric) AS "c9_hi", t."c5_cust" AS "c5_cust"
    FROM (
    SELECT t."c5_cust" AS "c5_cust", t."c6_max" AS "c6_max", t."c7_count" AS "c7_count"
      FROM (
      SELECT (t.c2_cust) AS "c5_cust", pg_catalog.max((t.c3_amt)) AS "c6_max", pg_catalog.count(*) AS "c7_count"
        FROM (
        SELECT t."cust" AS "c2_cust", t."amt" AS "c3_amt", t."id" AS "c1_id" FROM "public"."orders" AS t
      ) AS t
       GROUP BY (t.c2_cust)
    ) AS t
     WHERE (t.c7_count > 2)
  ) AS t
) AS r;

-- DELTA
WITH __pgt_cte_dscan_1 AS (
  SELECT c."new_cust" AS "c2_cust", c."new_amt" AS "c3_amt", c."new_id" AS "c1_id", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 10::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 10::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 10::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 10::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_cust" AS "c2_cust", c."old_amt" AS "c3_amt", c."old_id" AS "c1_id", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 10::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 10::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 10::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 10::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_aggkeys_2 AS (
  SELECT DISTINCT (d.c2_cust) AS "c5_cust"
    FROM __pgt_cte_dscan_1 AS d
),
__pgt_cte_daggregate_3 AS (
  SELECT s."c5_cust" AS "c5_cust", s."c6_max" AS "c6_max", s."c7_count" AS "c7_count", -1::bigint AS __pgt_w
    FROM (
    SELECT (t.c2_cust) AS "c5_cust", pg_catalog.max((t.c3_amt)) AS "c6_max", pg_catalog.count(*) AS "c7_count"
      FROM (
      SELECT x."c2_cust", x."c3_amt"
        FROM (
        SELECT u."c2_cust" AS "c2_cust", u."c3_amt" AS "c3_amt", pg_catalog.sum(u.__pgt_o) AS __pgt_m
          FROM (
          SELECT t."c2_cust" AS "c2_cust", t."c3_amt" AS "c3_amt", 1::bigint AS __pgt_o
            FROM (
            SELECT t.*
              FROM __pgt_cte_aggkeys_2 AS k
              JOIN (
              SELECT t."cust" AS "c2_cust", t."amt" AS "c3_amt", t."id" AS "c1_id" FROM "public"."orders" AS t
            ) AS t
                ON ((k."c5_cust" OPERATOR(pg_catalog.=) (t.c2_cust) OR (k."c5_cust" IS NULL AND (t.c2_cust) IS NULL)))
          ) AS t
          UNION ALL
          SELECT d."c2_cust" AS "c2_cust", d."c3_amt" AS "c3_amt", OPERATOR(pg_catalog.-) d.__pgt_w AS __pgt_o
            FROM __pgt_cte_dscan_1 AS d
        ) AS u
         GROUP BY u."c2_cust", u."c3_amt"
        HAVING pg_catalog.sum(u.__pgt_o) OPERATOR(pg_catalog.>) 0
      ) AS x
       CROSS JOIN LATERAL pg_catalog.generate_series(1, x.__pgt_m) AS __pgt_copies
    ) AS t
     GROUP BY (t.c2_cust)
  ) AS s
  UNION ALL
  SELECT s."c5_cust" AS "c5_cust", s."c6_max" AS "c6_max", s."c7_count" AS "c7_count", 1::bigint AS __pgt_w
    FROM (
    SELECT (t.c2_cust) AS "c5_cust", pg_catalog.max((t.c3_amt)) AS "c6_max", pg_catalog.count(*) AS "c7_count"
      FROM (
      SELECT t.*
        FROM __pgt_cte_aggkeys_2 AS k
        JOIN (
        SELECT t."cust" AS "c2_cust", t."amt" AS "c3_amt", t."id" AS "c1_id" FROM "public"."orders" AS t
      ) AS t
          ON ((k."c5_cust" OPERATOR(pg_catalog.=) (t.c2_cust) OR (k."c5_cust" IS NULL AND (t.c2_cust) IS NULL)))
    ) AS t
     GROUP BY (t.c2_cust)
  ) AS s
),
__pgt_cte_dfilter_4 AS (
  SELECT t."c5_cust" AS "c5_cust", t."c6_max" AS "c6_max", t."c7_count" AS "c7_count", t.__pgt_w
    FROM __pgt_cte_daggregate_3 AS t
   WHERE (t.c7_count > 2)
),
__pgt_cte_dproject_5 AS (
  SELECT CAST((t.c5_cust) AS integer) AS "c8_cust", CAST((t.c6_max) AS numeric) AS "c9_hi", t."c5_cust" AS "c5_cust", t.__pgt_w
    FROM __pgt_cte_dfilter_4 AS t
)
SELECT DISTINCT ON (n.__pgt_row_id) n.__pgt_row_id, CASE WHEN n.__pgt_n OPERATOR(pg_catalog.>) 0 THEN 'I' ELSE 'D' END AS __pgt_action, n."cust", n."hi"
  FROM (
  SELECT o.*, (pg_catalog.sum(o.__pgt_w) OVER (PARTITION BY o.__pgt_row_id, o.__pgt_h))::bigint AS __pgt_n
    FROM (
    SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(d."c5_cust")::text]::text[]) AS __pgt_row_id, "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(d."c8_cust")::text, (d."c9_hi")::text]::text[]) AS __pgt_h, d."c8_cust" AS "cust", d."c9_hi" AS "hi", d.__pgt_w
      FROM __pgt_cte_dproject_5 AS d
  ) AS o
) AS n
 WHERE n.__pgt_n OPERATOR(pg_catalog.<>) 0
 ORDER BY n.__pgt_row_id, n.__pgt_n DESC;
