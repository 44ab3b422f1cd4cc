-- query: SELECT id FROM customers WHERE id NOT IN (SELECT cust FROM orders WHERE amt > 15)
-- strategy: keyed; hidden: none
-- Project c1_id::integer AS c8_id
--   AntiJoin ON c1_id = c7_cust IS NOT FALSE [match counting]
--     Scan "public"."customers" AS "customers" [id] key(id)
--     Project c4_cust AS c7_cust
--       Filter c5_amt > 15
--         Scan "public"."orders" AS "orders" [cust, amt] key(id)

-- FULL
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(r."c1_id")::text]::text[]) AS __pgt_row_id, r."c8_id" AS "id"
  FROM (
  SELECT CAST((t.c1_id) AS integer) AS "c8_id", t."c1_id" AS "c1_id"
    FROM (
    SELECT l."c1_id" AS "c1_id"
      FROM (
      SELECT t."id" AS "c1_id" FROM "public"."customers" AS t
    ) AS l
     WHERE NOT EXISTS (SELECT FROM (
      SELECT (t.c4_cust) AS "c7_cust", t."c3_id" AS "c3_id"
        FROM (
        SELECT t."c4_cust" AS "c4_cust", t."c5_amt" AS "c5_amt", t."c3_id" AS "c3_id"
          FROM (
          SELECT t."cust" AS "c4_cust", t."amt" AS "c5_amt", t."id" AS "c3_id" FROM "public"."orders" AS t
        ) AS t
         WHERE (t.c5_amt > 15)
      ) AS t
    ) AS r WHERE (l.c1_id = r.c7_cust IS NOT FALSE))
  ) AS t
) AS r;

-- DELTA
WITH __pgt_cte_dscan_1 AS (
  SELECT c."new_id" AS "c1_id", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<customers>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 19::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 19::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 19::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 19::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_id" AS "c1_id", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<customers>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 19::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 19::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 19::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 19::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_dscan_2 AS (
  SELECT c."new_cust" AS "c4_cust", c."new_amt" AS "c5_amt", c."new_id" AS "c3_id", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 19::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 19::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 19::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 19::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_cust" AS "c4_cust", c."old_amt" AS "c5_amt", c."old_id" AS "c3_id", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 19::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 19::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 19::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 19::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_dfilter_3 AS (
  SELECT t."c4_cust" AS "c4_cust", t."c5_amt" AS "c5_amt", t."c3_id" AS "c3_id", t.__pgt_w
    FROM __pgt_cte_dscan_2 AS t
   WHERE (t.c5_amt > 15)
),
__pgt_cte_dproject_4 AS (
  SELECT (t.c4_cust) AS "c7_cust", t."c3_id" AS "c3_id", t.__pgt_w
    FROM __pgt_cte_dfilter_3 AS t
),
__pgt_cte_dsemijoin_5 AS (
  SELECT dl."c1_id" AS "c1_id", dl.__pgt_w
    FROM __pgt_cte_dscan_1 AS dl
   WHERE NOT (CASE WHEN EXISTS (SELECT FROM __pgt_cte_dproject_4 AS dr WHERE (dl.c1_id = dr.c7_cust IS NOT FALSE)) THEN ((SELECT pg_catalog.count(*) FROM (
    SELECT (t.c4_cust) AS "c7_cust", t."c3_id" AS "c3_id"
      FROM (
      SELECT t."c4_cust" AS "c4_cust", t."c5_amt" AS "c5_amt", t."c3_id" AS "c3_id"
        FROM (
        SELECT t."cust" AS "c4_cust", t."amt" AS "c5_amt", t."id" AS "c3_id" FROM "public"."orders" AS t
      ) AS t
       WHERE (t.c5_amt > 15)
    ) AS t
  ) AS r WHERE (dl.c1_id = r.c7_cust IS NOT FALSE)) OPERATOR(pg_catalog.-) (SELECT COALESCE(pg_catalog.sum(dr.__pgt_w), 0) FROM __pgt_cte_dproject_4 AS dr WHERE (dl.c1_id = dr.c7_cust IS NOT FALSE))) OPERATOR(pg_catalog.>) 0 ELSE EXISTS (SELECT FROM (
    SELECT (t.c4_cust) AS "c7_cust", t."c3_id" AS "c3_id"
      FROM (
      SELECT t."c4_cust" AS "c4_cust", t."c5_amt" AS "c5_amt", t."c3_id" AS "c3_id"
        FROM (
        SELECT t."cust" AS "c4_cust", t."amt" AS "c5_amt", t."id" AS "c3_id" FROM "public"."orders" AS t
      ) AS t
       WHERE (t.c5_amt > 15)
    ) AS t
  ) AS r WHERE (dl.c1_id = r.c7_cust IS NOT FALSE)) END)
  UNION ALL
  SELECT x."c1_id" AS "c1_id", (CASE WHEN x.__pgt_n1 OPERATOR(pg_catalog.>) 0 THEN -1 ELSE 1 END)::bigint AS __pgt_w
    FROM (
    SELECT l."c1_id" AS "c1_id", (SELECT pg_catalog.count(*) FROM (
      SELECT (t.c4_cust) AS "c7_cust", t."c3_id" AS "c3_id"
        FROM (
        SELECT t."c4_cust" AS "c4_cust", t."c5_amt" AS "c5_amt", t."c3_id" AS "c3_id"
          FROM (
          SELECT t."cust" AS "c4_cust", t."amt" AS "c5_amt", t."id" AS "c3_id" FROM "public"."orders" AS t
        ) AS t
         WHERE (t.c5_amt > 15)
      ) AS t
    ) AS r WHERE (l.c1_id = r.c7_cust IS NOT FALSE)) AS __pgt_n1, (SELECT COALESCE(pg_catalog.sum(dr.__pgt_w), 0) FROM __pgt_cte_dproject_4 AS dr WHERE (l.c1_id = dr.c7_cust IS NOT FALSE)) AS __pgt_dn
      FROM (
      SELECT t."id" AS "c1_id" FROM "public"."customers" AS t
    ) AS l
     WHERE EXISTS (SELECT FROM __pgt_cte_dproject_4 AS dr WHERE (l.c1_id = dr.c7_cust IS NOT FALSE))
  ) AS x
   WHERE (x.__pgt_n1 OPERATOR(pg_catalog.>) 0) OPERATOR(pg_catalog.<>) ((x.__pgt_n1 OPERATOR(pg_catalog.-) x.__pgt_dn) OPERATOR(pg_catalog.>) 0)
),
__pgt_cte_dproject_6 AS (
  SELECT CAST((t.c1_id) AS integer) AS "c8_id", t."c1_id" AS "c1_id", t.__pgt_w
    FROM __pgt_cte_dsemijoin_5 AS t
)
SELECT DISTINCT ON (n.__pgt_row_id) n.__pgt_row_id, CASE WHEN n.__pgt_n OPERATOR(pg_catalog.>) 0 THEN 'I' ELSE 'D' END AS __pgt_action, n."id"
  FROM (
  SELECT o.*, (pg_catalog.sum(o.__pgt_w) OVER (PARTITION BY o.__pgt_row_id, o.__pgt_h))::bigint AS __pgt_n
    FROM (
    SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(d."c1_id")::text]::text[]) AS __pgt_row_id, "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(d."c8_id")::text]::text[]) AS __pgt_h, d."c8_id" AS "id", d.__pgt_w
      FROM __pgt_cte_dproject_6 AS d
  ) AS o
) AS n
 WHERE n.__pgt_n OPERATOR(pg_catalog.<>) 0
 ORDER BY n.__pgt_row_id, n.__pgt_n DESC;
