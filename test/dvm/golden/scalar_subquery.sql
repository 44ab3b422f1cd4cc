-- query: SELECT id, amt FROM orders WHERE amt > (SELECT avg(amt) FROM orders)
-- strategy: keyed; hidden: none
-- Project c1_id::integer AS c11_id, c3_amt::numeric(10,2) AS c12_amt
--   Join ON c3_amt > c10_avg
--     Scan "public"."orders" AS "orders" [id, amt] key(id)
--     Project c9_avg AS c10_avg
--       Aggregate GROUP BY () avg(c7_amt) AS c9_avg
--         Scan "public"."orders" AS "orders" [amt] key(id)

-- FULL
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(r."c1_id")::text]::text[]) AS __pgt_row_id, r."c11_id" AS "id", r."c12_amt" AS "amt"
  FROM (
  SELECT CAST((t.c1_id) AS integer) AS "c11_id", CAST((t.c3_amt) AS numeric(10,2)) AS "c12_amt", t."c1_id" AS "c1_id"
    FROM (
    SELECT l."c1_id" AS "c1_id", l."c3_amt" AS "c3_amt", r."c10_avg" AS "c10_avg"
      FROM (
      SELECT t."id" AS "c1_id", t."amt" AS "c3_amt" FROM "public"."orders" AS t
    ) AS l
      JOIN (
      SELECT (t.c9_avg) AS "c10_avg"
        FROM (
        SELECT pg_catalog.avg((t.c7_amt)) AS "c9_avg"
          FROM (
          SELECT t."amt" AS "c7_amt", t."id" AS "c5_id" FROM "public"."orders" AS t
        ) AS t
      ) AS t
    ) AS r
        ON (l.c3_amt > r.c10_avg)
  ) AS t
) AS r;

-- DELTA
WITH __pgt_cte_dscan_1 AS (
  SELECT c."new_id" AS "c1_id", c."new_amt" AS "c3_amt", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 20::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 20::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 20::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 20::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_id" AS "c1_id", c."old_amt" AS "c3_amt", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 20::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 20::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 20::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 20::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_dscan_2 AS (
  SELECT c."new_amt" AS "c7_amt", c."new_id" AS "c5_id", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 20::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 20::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 20::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 20::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_amt" AS "c7_amt", c."old_id" AS "c5_id", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 20::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 20::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 20::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 20::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_aggstate_3 AS (
  SELECT pg_catalog.sum(u.__pgt_n)::bigint AS __pgt_ncount, pg_catalog.sum(CASE WHEN (u.__pgt_x0) IS NOT NULL THEN (u.__pgt_x0)::numeric OPERATOR(pg_catalog.*) u.__pgt_n END) AS __pgt_n0_0, pg_catalog.sum(CASE WHEN (u.__pgt_x0) IS NOT NULL THEN u.__pgt_n ELSE 0 END) AS __pgt_n0_1, pg_catalog.sum(u.__pgt_o)::bigint AS __pgt_ocount, pg_catalog.sum(CASE WHEN (u.__pgt_x0) IS NOT NULL THEN (u.__pgt_x0)::numeric OPERATOR(pg_catalog.*) u.__pgt_o END) AS __pgt_o0_0, pg_catalog.sum(CASE WHEN (u.__pgt_x0) IS NOT NULL THEN u.__pgt_o ELSE 0 END) AS __pgt_o0_1
    FROM (
  SELECT (t.c7_amt) AS __pgt_x0, 1::bigint AS __pgt_n, 1::bigint AS __pgt_o
    FROM (
    SELECT t."amt" AS "c7_amt", t."id" AS "c5_id" FROM "public"."orders" AS t
  ) AS t
    UNION ALL
  SELECT (d.c7_amt) AS __pgt_x0, 0::bigint AS __pgt_n, OPERATOR(pg_catalog.-) d.__pgt_w AS __pgt_o
    FROM __pgt_cte_dscan_2 AS d
    ) AS u
),
__pgt_cte_daggregate_4 AS (
  SELECT CASE WHEN s.__pgt_o0_1 OPERATOR(pg_catalog.>) 0 THEN (s.__pgt_o0_0)::numeric OPERATOR(pg_catalog./) (s.__pgt_o0_1)::numeric END AS "c9_avg", -1::bigint AS __pgt_w
    FROM __pgt_cte_aggstate_3 AS s
   WHERE EXISTS (SELECT FROM __pgt_cte_dscan_2)
  UNION ALL
  SELECT CASE WHEN s.__pgt_n0_1 OPERATOR(pg_catalog.>) 0 THEN (s.__pgt_n0_0)::numeric OPERATOR(pg_catalog./) (s.__pgt_n0_1)::numeric END AS "c9_avg", 1::bigint AS __pgt_w
    FROM __pgt_cte_aggstate_3 AS s
   WHERE EXISTS (SELECT FROM __pgt_cte_dscan_2)
),
__pgt_cte_dproject_5 AS (
  SELECT (t.c9_avg) AS "c10_avg", t.__pgt_w
    FROM __pgt_cte_daggregate_4 AS t
),
__pgt_cte_djoin_6 AS (
  SELECT dl."c1_id" AS "c1_id", dl."c3_amt" AS "c3_amt", r."c10_avg" AS "c10_avg", dl.__pgt_w AS __pgt_w
    FROM __pgt_cte_dscan_1 AS dl
    JOIN (
    SELECT (t.c9_avg) AS "c10_avg"
      FROM (
      SELECT pg_catalog.avg((t.c7_amt)) AS "c9_avg"
        FROM (
        SELECT t."amt" AS "c7_amt", t."id" AS "c5_id" FROM "public"."orders" AS t
      ) AS t
    ) AS t
  ) AS r
      ON (dl.c3_amt > r.c10_avg)
  UNION ALL
  SELECT l."c1_id" AS "c1_id", l."c3_amt" AS "c3_amt", dr."c10_avg" AS "c10_avg", dr.__pgt_w AS __pgt_w
    FROM (
    SELECT t."id" AS "c1_id", t."amt" AS "c3_amt" FROM "public"."orders" AS t
  ) AS l
    JOIN __pgt_cte_dproject_5 AS dr
      ON (l.c3_amt > dr.c10_avg)
  UNION ALL
  SELECT dl."c1_id" AS "c1_id", dl."c3_amt" AS "c3_amt", dr."c10_avg" AS "c10_avg", OPERATOR(pg_catalog.-) (dl.__pgt_w OPERATOR(pg_catalog.*) dr.__pgt_w) AS __pgt_w
    FROM __pgt_cte_dscan_1 AS dl
    JOIN __pgt_cte_dproject_5 AS dr
      ON (dl.c3_amt > dr.c10_avg)
),
__pgt_cte_dproject_7 AS (
  SELECT CAST((t.c1_id) AS integer) AS "c11_id", CAST((t.c3_amt) AS numeric(10,2)) AS "c12_amt", t."c1_id" AS "c1_id", t.__pgt_w
    FROM __pgt_cte_djoin_6 AS t
)
SELECT DISTINCT ON (n.__pgt_row_id) n.__pgt_row_id, CASE WHEN n.__pgt_n OPERATOR(pg_catalog.>) 0 THEN 'I' ELSE 'D' END AS __pgt_action, n."id", n."amt"
  FROM (
  SELECT o.*, (pg_catalog.sum(o.__pgt_w) OVER (PARTITION BY o.__pgt_row_id, o.__pgt_h))::bigint AS __pgt_n
    FROM (
    SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(d."c1_id")::text]::text[]) AS __pgt_row_id, "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(d."c11_id")::text, (d."c12_amt")::text]::text[]) AS __pgt_h, d."c11_id" AS "id", d."c12_amt" AS "amt", d.__pgt_w
      FROM __pgt_cte_dproject_7 AS d
  ) AS o
) AS n
 WHERE n.__pgt_n OPERATOR(pg_catalog.<>) 0
 ORDER BY n.__pgt_row_id, n.__pgt_n DESC;
