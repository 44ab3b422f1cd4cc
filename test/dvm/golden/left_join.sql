-- query: SELECT c.id, c.region, o.id AS oid FROM customers c LEFT JOIN orders o ON o.cust = c.id
-- strategy: keyed; hidden: none
-- Project c1_id::integer AS c8_id, c2_region::text AS c9_region, c3_id::integer AS c10_oid
--   LeftJoin ON c4_cust = c1_id [inner join + NULL-padded unmatched left rows (anti-join, match counting)] key(c7_outer_key)
--     Scan "public"."customers" AS "c" [id, region] key(id)
--     Scan "public"."orders" AS "o" [id, cust] key(id)

-- FULL
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(r."c7_outer_key")::text]::text[]) AS __pgt_row_id, r."c8_id" AS "id", r."c9_region" AS "region", r."c10_oid" AS "oid"
  FROM (
  SELECT CAST((t.c1_id) AS integer) AS "c8_id", CAST((t.c2_region) AS text) AS "c9_region", CAST((t.c3_id) AS integer) AS "c10_oid", t."c7_outer_key" AS "c7_outer_key"
    FROM (
    SELECT t."c1_id" AS "c1_id", t."c2_region" AS "c2_region", t."c3_id" AS "c3_id", t."c4_cust" AS "c4_cust", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[('1')::text, (t."c1_id")::text, (t."c3_id")::text]::text[]) AS "c7_outer_key"
      FROM (
      SELECT l."c1_id" AS "c1_id", l."c2_region" AS "c2_region", r."c3_id" AS "c3_id", r."c4_cust" AS "c4_cust"
        FROM (
        SELECT t."id" AS "c1_id", t."region" AS "c2_region" FROM "public"."customers" AS t
      ) AS l
        JOIN (
        SELECT t."id" AS "c3_id", t."cust" AS "c4_cust" FROM "public"."orders" AS t
      ) AS r
          ON (r.c4_cust = l.c1_id)
    ) AS t
    UNION ALL
    SELECT t."c1_id" AS "c1_id", t."c2_region" AS "c2_region", t."c3_id" AS "c3_id", t."c4_cust" AS "c4_cust", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[('2')::text, (t."c1_id")::text]::text[]) AS "c7_outer_key"
      FROM (
      SELECT c."c1_id" AS "c1_id", c."c2_region" AS "c2_region", NULL::integer AS "c3_id", NULL::integer AS "c4_cust"
        FROM (
        SELECT l."c1_id" AS "c1_id", l."c2_region" AS "c2_region"
          FROM (
          SELECT t."id" AS "c1_id", t."region" AS "c2_region" FROM "public"."customers" AS t
        ) AS l
         WHERE NOT EXISTS (SELECT FROM (
          SELECT t."id" AS "c3_id", t."cust" AS "c4_cust" FROM "public"."orders" AS t
        ) AS r WHERE (r.c4_cust = l.c1_id))
      ) AS c
    ) AS t
  ) AS t
) AS r;

-- DELTA
WITH __pgt_cte_dscan_1 AS (
  SELECT c."new_id" AS "c1_id", c."new_region" AS "c2_region", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<customers>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 16::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 16::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 16::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 16::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_id" AS "c1_id", c."old_region" AS "c2_region", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<customers>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 16::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 16::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 16::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 16::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <customers>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_dscan_2 AS (
  SELECT c."new_id" AS "c3_id", c."new_cust" AS "c4_cust", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 16::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 16::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 16::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 16::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_id" AS "c3_id", c."old_cust" AS "c4_cust", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 16::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 16::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 16::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 16::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_djoin_3 AS (
  SELECT dl."c1_id" AS "c1_id", dl."c2_region" AS "c2_region", r."c3_id" AS "c3_id", r."c4_cust" AS "c4_cust", dl.__pgt_w AS __pgt_w
    FROM __pgt_cte_dscan_1 AS dl
    JOIN (
    SELECT t."id" AS "c3_id", t."cust" AS "c4_cust" FROM "public"."orders" AS t
  ) AS r
      ON (r.c4_cust = dl.c1_id)
  UNION ALL
  SELECT l."c1_id" AS "c1_id", l."c2_region" AS "c2_region", dr."c3_id" AS "c3_id", dr."c4_cust" AS "c4_cust", dr.__pgt_w AS __pgt_w
    FROM (
    SELECT t."id" AS "c1_id", t."region" AS "c2_region" FROM "public"."customers" AS t
  ) AS l
    JOIN __pgt_cte_dscan_2 AS dr
      ON (dr.c4_cust = l.c1_id)
  UNION ALL
  SELECT dl."c1_id" AS "c1_id", dl."c2_region" AS "c2_region", dr."c3_id" AS "c3_id", dr."c4_cust" AS "c4_cust", OPERATOR(pg_catalog.-) (dl.__pgt_w OPERATOR(pg_catalog.*) dr.__pgt_w) AS __pgt_w
    FROM __pgt_cte_dscan_1 AS dl
    JOIN __pgt_cte_dscan_2 AS dr
      ON (dr.c4_cust = dl.c1_id)
),
__pgt_cte_dsemijoin_4 AS (
  SELECT dl."c1_id" AS "c1_id", dl."c2_region" AS "c2_region", dl.__pgt_w
    FROM __pgt_cte_dscan_1 AS dl
   WHERE NOT (CASE WHEN EXISTS (SELECT FROM __pgt_cte_dscan_2 AS dr WHERE (dr.c4_cust = dl.c1_id)) THEN ((SELECT pg_catalog.count(*) FROM (
    SELECT t."id" AS "c3_id", t."cust" AS "c4_cust" FROM "public"."orders" AS t
  ) AS r WHERE (r.c4_cust = dl.c1_id)) OPERATOR(pg_catalog.-) (SELECT COALESCE(pg_catalog.sum(dr.__pgt_w), 0) FROM __pgt_cte_dscan_2 AS dr WHERE (dr.c4_cust = dl.c1_id))) OPERATOR(pg_catalog.>) 0 ELSE EXISTS (SELECT FROM (
    SELECT t."id" AS "c3_id", t."cust" AS "c4_cust" FROM "public"."orders" AS t
  ) AS r WHERE (r.c4_cust = dl.c1_id)) END)
  UNION ALL
  SELECT x."c1_id" AS "c1_id", x."c2_region" AS "c2_region", (CASE WHEN x.__pgt_n1 OPERATOR(pg_catalog.>) 0 THEN -1 ELSE 1 END)::bigint AS __pgt_w
    FROM (
    SELECT l."c1_id" AS "c1_id", l."c2_region" AS "c2_region", (SELECT pg_catalog.count(*) FROM (
      SELECT t."id" AS "c3_id", t."cust" AS "c4_cust" FROM "public"."orders" AS t
    ) AS r WHERE (r.c4_cust = l.c1_id)) AS __pgt_n1, (SELECT COALESCE(pg_catalog.sum(dr.__pgt_w), 0) FROM __pgt_cte_dscan_2 AS dr WHERE (dr.c4_cust = l.c1_id)) AS __pgt_dn
      FROM (
      SELECT t."id" AS "c1_id", t."region" AS "c2_region" FROM "public"."customers" AS t
    ) AS l
     WHERE EXISTS (SELECT FROM __pgt_cte_dscan_2 AS dr WHERE (dr.c4_cust = l.c1_id))
  ) AS x
   WHERE (x.__pgt_n1 OPERATOR(pg_catalog.>) 0) OPERATOR(pg_catalog.<>) ((x.__pgt_n1 OPERATOR(pg_catalog.-) x.__pgt_dn) OPERATOR(pg_catalog.>) 0)
),
__pgt_cte_dpad_5 AS (
  SELECT c."c1_id" AS "c1_id", c."c2_region" AS "c2_region", NULL::integer AS "c3_id", NULL::integer AS "c4_cust", c.__pgt_w
    FROM __pgt_cte_dsemijoin_4 AS c
),
__pgt_cte_dunionall_6 AS (
  SELECT t."c1_id" AS "c1_id", t."c2_region" AS "c2_region", t."c3_id" AS "c3_id", t."c4_cust" AS "c4_cust", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[('1')::text, (t."c1_id")::text, (t."c3_id")::text]::text[]) AS "c7_outer_key", t.__pgt_w
    FROM __pgt_cte_djoin_3 AS t
  UNION ALL
  SELECT t."c1_id" AS "c1_id", t."c2_region" AS "c2_region", t."c3_id" AS "c3_id", t."c4_cust" AS "c4_cust", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[('2')::text, (t."c1_id")::text]::text[]) AS "c7_outer_key", t.__pgt_w
    FROM __pgt_cte_dpad_5 AS t
),
__pgt_cte_douterjoin_7 AS (
  SELECT o."c1_id" AS "c1_id", o."c2_region" AS "c2_region", o."c3_id" AS "c3_id", o."c4_cust" AS "c4_cust", o."c7_outer_key" AS "c7_outer_key", o.__pgt_w
    FROM __pgt_cte_dunionall_6 AS o
),
__pgt_cte_dproject_8 AS (
  SELECT CAST((t.c1_id) AS integer) AS "c8_id", CAST((t.c2_region) AS text) AS "c9_region", CAST((t.c3_id) AS integer) AS "c10_oid", t."c7_outer_key" AS "c7_outer_key", t.__pgt_w
    FROM __pgt_cte_douterjoin_7 AS t
)
SELECT DISTINCT ON (n.__pgt_row_id) n.__pgt_row_id, CASE WHEN n.__pgt_n OPERATOR(pg_catalog.>) 0 THEN 'I' ELSE 'D' END AS __pgt_action, n."id", n."region", n."oid"
  FROM (
  SELECT o.*, (pg_catalog.sum(o.__pgt_w) OVER (PARTITION BY o.__pgt_row_id, o.__pgt_h))::bigint AS __pgt_n
    FROM (
    SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(d."c7_outer_key")::text]::text[]) AS __pgt_row_id, "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(d."c8_id")::text, (d."c9_region")::text, (d."c10_oid")::text]::text[]) AS __pgt_h, d."c8_id" AS "id", d."c9_region" AS "region", d."c10_oid" AS "oid", d.__pgt_w
      FROM __pgt_cte_dproject_8 AS d
  ) AS o
) AS n
 WHERE n.__pgt_n OPERATOR(pg_catalog.<>) 0
 ORDER BY n.__pgt_row_id, n.__pgt_n DESC;
