-- query: SELECT c.id, (SELECT count(*) FROM orders o WHERE o.cust = c.id) AS n FROM customers c
-- strategy: keyed; hidden: none
-- Project c1_id::integer AS c26_id, CASE WHEN c17_k1 IS NULL THEN c24_v ELSE c18_v END::bigint AS c27_n
--   Join CROSS
--     LeftJoin ON c1_id = c17_k1 [inner join + NULL-padded unmatched left rows (anti-join, match counting)] key(c25_scalar_key)
--       Scan "public"."customers" AS "c" [id] key(id)
--       Project c15_cust AS c17_k1, c16_count AS c18_v
--         Aggregate GROUP BY (c12_cust AS c15_cust) count(*) AS c16_count
--           Scan "public"."orders" AS "o" [cust] key(id)
--     Project c23_count AS c24_v
--       Aggregate GROUP BY () count(*) AS c23_count
--         Filter false
--           Scan "public"."orders" AS "o" [] key(id)

-- FULL
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(r."c25_scalar_key")::text]::text[]) AS __pgt_row_id, r."c26_id" AS "id", r."c27_n" AS "n"
  FROM (
  SELECT CAST((t.c1_id) AS integer) AS "c26_id", CAST((CASE 
    WHEN t.c17_k1 IS NULL THEN t.c24_v 
    ELSE t.c18_v 
  END) AS bigint) AS "c27_n", t."c25_scalar_key" AS "c25_scalar_key"
    FROM (
    SELECT l."c1_id" AS "c1_id", l."c17_k1" AS "c17_k1", l."c18_v" AS "c18_v", r."c24_v" AS "c24_v", l."c25_scalar_key" AS "c25_scalar_key"
      FROM (
      SELECT t."c1_id" AS "c1_id", t."c17_k1" AS "c17_k1", t."c18_v" AS "c18_v", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[('1')::text, (t."c1_id")::text, (t."c15_cust")::text]::text[]) AS "c25_scalar_key"
        FROM (
        SELECT l."c1_id" AS "c1_id", r."c17_k1" AS "c17_k1", r."c18_v" AS "c18_v", r."c15_cust" AS "c15_cust"
          FROM (
          SELECT t."id" AS "c1_id" FROM "public"."customers" AS t
        ) AS l
          JOIN (
          SELECT (t.c15_cust) AS "c17_k1", (t.c16_count) AS "c18_v", t."c15_cust" AS "c15_cust"
            FROM (
            SELECT (t.c12_cust) AS "c15_cust", pg_catalog.count(*) AS "c16_count"
              FROM (
              SELECT t."cust" AS "c12_cust", t."id" AS "c11_id" FROM "public"."orders" AS t
            ) AS t
             GROUP BY (t.c12_cust)
          ) AS t
        ) AS r
            ON (l.c1_id = r.c17_k1)
      ) AS t
      UNION ALL
      SELECT t."c1_id" AS "c1_id", t."c17_k1" AS "c17_k1", t."c18_v" AS "c18_v", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[('2')::text, (t."c1_id")::text]::text[]) AS "c25_scalar_key"
        FROM (
        SELECT c."c1_id" AS "c1_id", NULL::integer AS "c17_k1", NULL::bigint AS "c18_v"
          FROM (
          SELECT l."c1_id" AS "c1_id"
            FROM (
            SELECT t."id" AS "c1_id" FROM "public"."customers" AS t
          ) AS l
           WHERE NOT EXISTS (SELECT FROM (
            SELECT (t.c15_cust) AS "c17_k1", (t.c16_count) AS "c18_v", t."c15_cust" AS "c15_cust"
              FROM (
              SELECT (t.c12_cust) AS "c15_cust", pg_catalog.count(*) AS "c16_count"
                FROM (
                SELECT t."cust" AS "c12_cust", t."id" AS "c11_id" FROM "public"."orders" AS t
              ) AS t
               GROUP BY (t.c12_cust)
            ) AS t
          ) AS r WHERE (l.c1_id = r.c17_k1))
        ) AS c
      ) AS t
    ) AS l
      JOIN (
      SELECT (t.c23_count) AS "c24_v"
        FROM (
        SELECT pg_catalog.count(*) AS "c23_count"
          FROM (
          SELECT t."c19_id" AS "c19_id"
            FROM (
            SELECT t."id" AS "c19_id" FROM "public"."orders" AS t
          ) AS t
           WHERE (false)
        ) AS t
      ) AS t
    ) AS r
        ON true
  ) AS t
) AS r;

-- DELTA
WITH __pgt_cte_dscan_1 AS (
  SELECT c."new_id" AS "c1_id", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<customers>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_id" AS "c1_id", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<customers>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_dscan_2 AS (
  SELECT c."new_cust" AS "c12_cust", c."new_id" AS "c11_id", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_cust" AS "c12_cust", c."old_id" AS "c11_id", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_aggkeys_3 AS (
  SELECT DISTINCT (d.c12_cust) AS "c15_cust"
    FROM __pgt_cte_dscan_2 AS d
),
__pgt_cte_aggstate_4 AS (
  SELECT u."c15_cust", pg_catalog.sum(u.__pgt_n)::bigint AS __pgt_ncount, pg_catalog.sum(u.__pgt_o)::bigint AS __pgt_ocount
    FROM (
  SELECT (t.c12_cust) AS "c15_cust", 1::bigint AS __pgt_n, 1::bigint AS __pgt_o
    FROM __pgt_cte_aggkeys_3 AS k
    JOIN (
    SELECT t."cust" AS "c12_cust", t."id" AS "c11_id" FROM "public"."orders" AS t
  ) AS t
      ON ((k."c15_cust" OPERATOR(pg_catalog.=) (t.c12_cust) OR (k."c15_cust" IS NULL AND (t.c12_cust) IS NULL)))
    UNION ALL
  SELECT (d.c12_cust) AS "c15_cust", 0::bigint AS __pgt_n, OPERATOR(pg_catalog.-) d.__pgt_w AS __pgt_o
    FROM __pgt_cte_dscan_2 AS d
    ) AS u
   GROUP BY u."c15_cust"
),
__pgt_cte_daggregate_5 AS (
  SELECT s."c15_cust", s.__pgt_ocount AS "c16_count", -1::bigint AS __pgt_w
    FROM __pgt_cte_aggstate_4 AS s
   WHERE s.__pgt_ocount OPERATOR(pg_catalog.>) 0
  UNION ALL
  SELECT s."c15_cust", s.__pgt_ncount AS "c16_count", 1::bigint AS __pgt_w
    FROM __pgt_cte_aggstate_4 AS s
   WHERE s.__pgt_ncount OPERATOR(pg_catalog.>) 0
),
__pgt_cte_dproject_6 AS (
  SELECT (t.c15_cust) AS "c17_k1", (t.c16_count) AS "c18_v", t."c15_cust" AS "c15_cust", t.__pgt_w
    FROM __pgt_cte_daggregate_5 AS t
),
__pgt_cte_djoin_7 AS (
  SELECT dl."c1_id" AS "c1_id", r."c17_k1" AS "c17_k1", r."c18_v" AS "c18_v", r."c15_cust" AS "c15_cust", dl.__pgt_w AS __pgt_w
    FROM __pgt_cte_dscan_1 AS dl
    JOIN (
    SELECT (t.c15_cust) AS "c17_k1", (t.c16_count) AS "c18_v", t."c15_cust" AS "c15_cust"
      FROM (
      SELECT (t.c12_cust) AS "c15_cust", pg_catalog.count(*) AS "c16_count"
        FROM (
        SELECT t."cust" AS "c12_cust", t."id" AS "c11_id" FROM "public"."orders" AS t
      ) AS t
       GROUP BY (t.c12_cust)
    ) AS t
  ) AS r
      ON (dl.c1_id = r.c17_k1)
  UNION ALL
  SELECT l."c1_id" AS "c1_id", dr."c17_k1" AS "c17_k1", dr."c18_v" AS "c18_v", dr."c15_cust" AS "c15_cust", dr.__pgt_w AS __pgt_w
    FROM (
    SELECT t."id" AS "c1_id" FROM "public"."customers" AS t
  ) AS l
    JOIN __pgt_cte_dproject_6 AS dr
      ON (l.c1_id = dr.c17_k1)
  UNION ALL
  SELECT dl."c1_id" AS "c1_id", dr."c17_k1" AS "c17_k1", dr."c18_v" AS "c18_v", dr."c15_cust" AS "c15_cust", OPERATOR(pg_catalog.-) (dl.__pgt_w OPERATOR(pg_catalog.*) dr.__pgt_w) AS __pgt_w
    FROM __pgt_cte_dscan_1 AS dl
    JOIN __pgt_cte_dproject_6 AS dr
      ON (dl.c1_id = dr.c17_k1)
),
__pgt_cte_dsemijoin_8 AS (
  SELECT dl."c1_id" AS "c1_id", dl.__pgt_w
    FROM __pgt_cte_dscan_1 AS dl
   WHERE NOT (CASE WHEN EXISTS (SELECT FROM __pgt_cte_dproject_6 AS dr WHERE (dl.c1_id = dr.c17_k1)) THEN ((SELECT pg_catalog.count(*) FROM (
    SELECT (t.c15_cust) AS "c17_k1", (t.c16_count) AS "c18_v", t."c15_cust" AS "c15_cust"
      FROM (
      SELECT (t.c12_cust) AS "c15_cust", pg_catalog.count(*) AS "c16_count"
        FROM (
        SELECT t."cust" AS "c12_cust", t."id" AS "c11_id" FROM "public"."orders" AS t
      ) AS t
       GROUP BY (t.c12_cust)
    ) AS t
  ) AS r WHERE (dl.c1_id = r.c17_k1)) OPERATOR(pg_catalog.-) (SELECT COALESCE(pg_catalog.sum(dr.__pgt_w), 0) FROM __pgt_cte_dproject_6 AS dr WHERE (dl.c1_id = dr.c17_k1))) OPERATOR(pg_catalog.>) 0 ELSE EXISTS (SELECT FROM (
    SELECT (t.c15_cust) AS "c17_k1", (t.c16_count) AS "c18_v", t."c15_cust" AS "c15_cust"
      FROM (
      SELECT (t.c12_cust) AS "c15_cust", pg_catalog.count(*) AS "c16_count"
        FROM (
        SELECT t."cust" AS "c12_cust", t."id" AS "c11_id" FROM "public"."orders" AS t
      ) AS t
       GROUP BY (t.c12_cust)
    ) AS t
  ) AS r WHERE (dl.c1_id = r.c17_k1)) END)
  UNION ALL
  SELECT x."c1_id" AS "c1_id", (CASE WHEN x.__pgt_n1 OPERATOR(pg_catalog.>) 0 THEN -1 ELSE 1 END)::bigint AS __pgt_w
    FROM (
    SELECT l."c1_id" AS "c1_id", (SELECT pg_catalog.count(*) FROM (
      SELECT (t.c15_cust) AS "c17_k1", (t.c16_count) AS "c18_v", t."c15_cust" AS "c15_cust"
        FROM (
        SELECT (t.c12_cust) AS "c15_cust", pg_catalog.count(*) AS "c16_count"
          FROM (
          SELECT t."cust" AS "c12_cust", t."id" AS "c11_id" FROM "public"."orders" AS t
        ) AS t
         GROUP BY (t.c12_cust)
      ) AS t
    ) AS r WHERE (l.c1_id = r.c17_k1)) AS __pgt_n1, (SELECT COALESCE(pg_catalog.sum(dr.__pgt_w), 0) FROM __pgt_cte_dproject_6 AS dr WHERE (l.c1_id = dr.c17_k1)) AS __pgt_dn
      FROM (
      SELECT t."id" AS "c1_id" FROM "public"."customers" AS t
    ) AS l
     WHERE EXISTS (SELECT FROM __pgt_cte_dproject_6 AS dr WHERE (l.c1_id = dr.c17_k1))
  ) AS x
   WHERE (x.__pgt_n1 OPERATOR(pg_catalog.>) 0) OPERATOR(pg_catalog.<>) ((x.__pgt_n1 OPERATOR(pg_catalog.-) x.__pgt_dn) OPERATOR(pg_catalog.>) 0)
),
__pgt_cte_dpad_9 AS (
  SELECT c."c1_id" AS "c1_id", NULL::integer AS "c17_k1", NULL::bigint AS "c18_v", c.__pgt_w
    FROM __pgt_cte_dsemijoin_8 AS c
),
__pgt_cte_dunionall_10 AS (
  SELECT t."c1_id" AS "c1_id", t."c17_k1" AS "c17_k1", t."c18_v" AS "c18_v", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[('1')::text, (t."c1_id")::text, (t."c15_cust")::text]::text[]) AS "c25_scalar_key", t.__pgt_w
    FROM __pgt_cte_djoin_7 AS t
  UNION ALL
  SELECT t."c1_id" AS "c1_id", t."c17_k1" AS "c17_k1", t."c18_v" AS "c18_v", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[('2')::text, (t."c1_id")::text]::text[]) AS "c25_scalar_key", t.__pgt_w
    FROM __pgt_cte_dpad_9 AS t
),
__pgt_cte_douterjoin_11 AS (
  SELECT o."c1_id" AS "c1_id", o."c17_k1" AS "c17_k1", o."c18_v" AS "c18_v", o."c25_scalar_key" AS "c25_scalar_key", o.__pgt_w
    FROM __pgt_cte_dunionall_10 AS o
),
__pgt_cte_dscan_12 AS (
  SELECT c."new_id" AS "c19_id", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_id" AS "c19_id", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 21::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_dfilter_13 AS (
  SELECT t."c19_id" AS "c19_id", t.__pgt_w
    FROM __pgt_cte_dscan_12 AS t
   WHERE (false)
),
__pgt_cte_aggstate_14 AS (
  SELECT pg_catalog.sum(u.__pgt_n)::bigint AS __pgt_ncount, pg_catalog.sum(u.__pgt_o)::bigint AS __pgt_ocount
    FROM (
  SELECT 1::bigint AS __pgt_n, 1::bigint AS __pgt_o
    FROM (
    SELECT t."c19_id" AS "c19_id"
      FROM (
      SELECT t."id" AS "c19_id" FROM "public"."orders" AS t
    ) AS t
     WHERE (false)
  ) AS t
    UNION ALL
  SELECT 0::bigint AS __pgt_n, OPERATOR(pg_catalog.-) d.__pgt_w AS __pgt_o
    FROM __pgt_cte_dfilter_13 AS d
    ) AS u
),
__pgt_cte_daggregate_15 AS (
  SELECT s.__pgt_ocount AS "c23_count", -1::bigint AS __pgt_w
    FROM __pgt_cte_aggstate_14 AS s
   WHERE EXISTS (SELECT FROM __pgt_cte_dfilter_13)
  UNION ALL
  SELECT s.__pgt_ncount AS "c23_count", 1::bigint AS __pgt_w
    FROM __pgt_cte_aggstate_14 AS s
   WHERE EXISTS (SELECT FROM __pgt_cte_dfilter_13)
),
__pgt_cte_dproject_16 AS (
  SELECT (t.c23_count) AS "c24_v", t.__pgt_w
    FROM __pgt_cte_daggregate_15 AS t
),
__pgt_cte_djoin_17 AS (
  SELECT dl."c1_id" AS "c1_id", dl."c17_k1" AS "c17_k1", dl."c18_v" AS "c18_v", r."c24_v" AS "c24_v", dl."c25_scalar_key" AS "c25_scalar_key", dl.__pgt_w AS __pgt_w
    FROM __pgt_cte_douterjoin_11 AS dl
    JOIN (
    SELECT (t.c23_count) AS "c24_v"
      FROM (
      SELECT pg_catalog.count(*) AS "c23_count"
        FROM (
        SELECT t."c19_id" AS "c19_id"
          FROM (
          SELECT t."id" AS "c19_id" FROM "public"."orders" AS t
        ) AS t
         WHERE (false)
      ) AS t
    ) AS t
  ) AS r
      ON true
  UNION ALL
  SELECT l."c1_id" AS "c1_id", l."c17_k1" AS "c17_k1", l."c18_v" AS "c18_v", dr."c24_v" AS "c24_v", l."c25_scalar_key" AS "c25_scalar_key", dr.__pgt_w AS __pgt_w
    FROM (
    SELECT t."c1_id" AS "c1_id", t."c17_k1" AS "c17_k1", t."c18_v" AS "c18_v", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[('1')::text, (t."c1_id")::text, (t."c15_cust")::text]::text[]) AS "c25_scalar_key"
      FROM (
      SELECT l."c1_id" AS "c1_id", r."c17_k1" AS "c17_k1", r."c18_v" AS "c18_v", r."c15_cust" AS "c15_cust"
        FROM (
        SELECT t."id" AS "c1_id" FROM "public"."customers" AS t
      ) AS l
        JOIN (
        SELECT (t.c15_cust) AS "c17_k1", (t.c16_count) AS "c18_v", t."c15_cust" AS "c15_cust"
          FROM (
          SELECT (t.c12_cust) AS "c15_cust", pg_catalog.count(*) AS "c16_count"
            FROM (
            SELECT t."cust" AS "c12_cust", t."id" AS "c11_id" FROM "public"."orders" AS t
          ) AS t
           GROUP BY (t.c12_cust)
        ) AS t
      ) AS r
          ON (l.c1_id = r.c17_k1)
    ) AS t
    UNION ALL
    SELECT t."c1_id" AS "c1_id", t."c17_k1" AS "c17_k1", t."c18_v" AS "c18_v", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[('2')::text, (t."c1_id")::text]::text[]) AS "c25_scalar_key"
      FROM (
      SELECT c."c1_id" AS "c1_id", NULL::integer AS "c17_k1", NULL::bigint AS "c18_v"
        FROM (
        SELECT l."c1_id" AS "c1_id"
          FROM (
          SELECT t."id" AS "c1_id" FROM "public"."customers" AS t
        ) AS l
         WHERE NOT EXISTS (SELECT FROM (
          SELECT (t.c15_cust) AS "c17_k1", (t.c16_count) AS "c18_v", t."c15_cust" AS "c15_cust"
            FROM (
            SELECT (t.c12_cust) AS "c15_cust", pg_catalog.count(*) AS "c16_count"
              FROM (
              SELECT t."cust" AS "c12_cust", t."id" AS "c11_id" FROM "public"."orders" AS t
            ) AS t
             GROUP BY (t.c12_cust)
          ) AS t
        ) AS r WHERE (l.c1_id = r.c17_k1))
      ) AS c
    ) AS t
  ) AS l
    JOIN __pgt_cte_dproject_16 AS dr
      ON true
  UNION ALL
  SELECT dl."c1_id" AS "c1_id", dl."c17_k1" AS "c17_k1", dl."c18_v" AS "c18_v", dr."c24_v" AS "c24_v", dl."c25_scalar_key" AS "c25_scalar_key", OPERATOR(pg_catalog.-) (dl.__pgt_w OPERATOR(pg_catalog.*) dr.__pgt_w) AS __pgt_w
    FROM __pgt_cte_douterjoin_11 AS dl
    JOIN __pgt_cte_dproject_16 AS dr
      ON true
),
__pgt_cte_dproject_18 AS (
  SELECT CAST((t.c1_id) AS integer) AS "c26_id", CAST((CASE 
    WHEN t.c17_k1 IS NULL THEN t.c24_v 
    ELSE t.c18_v 
  END) AS bigint) AS "c27_n", t."c25_scalar_key" AS "c25_scalar_key", t.__pgt_w
    FROM __pgt_cte_djoin_17 AS t
)
SELECT DISTINCT ON (n.__pgt_row_id) n.__pgt_row_id, CASE WHEN n.__pgt_n OPERATOR(pg_catalog.>) 0 THEN 'I' ELSE 'D' END AS __pgt_action, n."id", n."n"
  FROM (
  SELECT o.*, (pg_catalog.sum(o.__pgt_w) OVER (PARTITION BY o.__pgt_row_id, o.__pgt_h))::bigint AS __pgt_n
    FROM (
    SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(d."c25_scalar_key")::text]::text[]) AS __pgt_row_id, "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(d."c26_id")::text, (d."c27_n")::text]::text[]) AS __pgt_h, d."c26_id" AS "id", d."c27_n" AS "n", d.__pgt_w
      FROM __pgt_cte_dproject_18 AS d
  ) AS o
) AS n
 WHERE n.__pgt_n OPERATOR(pg_catalog.<>) 0
 ORDER BY n.__pgt_row_id, n.__pgt_n DESC;
