-- query: SELECT sku FROM items INTERSECT ALL SELECT note FROM orders
-- strategy: lineage; hidden: __pgt_lineage bigint
-- Intersect ALL [c10_sku] (counting: each changed row counted in both inputs)
--   Project c2_sku::text AS c4_sku
--     Scan "public"."items" AS "items" [sku] keyless
--   Project c8_note::text AS c9_note
--     Scan "public"."orders" AS "orders" [note] key(id)

-- FULL
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(l.__pgt_lineage)::text, (pg_catalog.row_number() OVER (PARTITION BY l.__pgt_lineage))::text]::text[]) AS __pgt_row_id, l."sku", l.__pgt_lineage
  FROM (
  SELECT r."c10_sku" AS "sku", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(r."c10_sku")::text]::text[]) AS __pgt_lineage
    FROM (
    SELECT t."c4_sku" AS "c10_sku"
      FROM (
      SELECT CAST((t.c2_sku) AS text) AS "c4_sku"
        FROM (
        SELECT t."sku" AS "c2_sku" FROM "public"."items" AS t
      ) AS t
    ) AS t
    INTERSECT ALL
    SELECT t."c9_note" AS "c10_sku"
      FROM (
      SELECT CAST((t.c8_note) AS text) AS "c9_note", t."c5_id" AS "c5_id"
        FROM (
        SELECT t."note" AS "c8_note", t."id" AS "c5_id" FROM "public"."orders" AS t
      ) AS t
    ) AS t
  ) AS r
) AS l;

-- DELTA
WITH __pgt_cte_dscan_1 AS (
  SELECT c."new_sku" AS "c2_sku", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<items>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 12::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <items>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 12::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <items>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 12::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <items>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 12::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <items>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_sku" AS "c2_sku", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<items>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 12::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <items>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 12::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <items>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 12::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <items>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 12::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <items>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_dproject_2 AS (
  SELECT CAST((t.c2_sku) AS text) AS "c4_sku", t.__pgt_w
    FROM __pgt_cte_dscan_1 AS t
),
__pgt_cte_dscan_3 AS (
  SELECT c."new_note" AS "c8_note", c."new_id" AS "c5_id", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 12::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 12::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 12::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 12::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_note" AS "c8_note", c."old_id" AS "c5_id", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 12::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 12::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 12::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 12::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_dproject_4 AS (
  SELECT CAST((t.c8_note) AS text) AS "c9_note", t."c5_id" AS "c5_id", t.__pgt_w
    FROM __pgt_cte_dscan_3 AS t
),
__pgt_cte_setopnet_5 AS (
  SELECT u."c10_sku" AS "c10_sku", pg_catalog.sum(u.__pgt_dl)::bigint AS __pgt_dl, pg_catalog.sum(u.__pgt_dr)::bigint AS __pgt_dr
    FROM (
  SELECT t."c10_sku" AS "c10_sku", t.__pgt_w AS __pgt_dl, 0::bigint AS __pgt_dr
    FROM (
    SELECT t."c4_sku" AS "c10_sku", t.__pgt_w
      FROM __pgt_cte_dproject_2 AS t
  ) AS t
    UNION ALL
  SELECT t."c10_sku" AS "c10_sku", 0::bigint AS __pgt_dl, t.__pgt_w AS __pgt_dr
    FROM (
    SELECT t."c9_note" AS "c10_sku", t.__pgt_w
      FROM __pgt_cte_dproject_4 AS t
  ) AS t
    ) AS u
   GROUP BY u."c10_sku"
),
__pgt_cte_dsetop_6 AS (
  SELECT y."c10_sku" AS "c10_sku", y.__pgt_net AS __pgt_w
    FROM (
    SELECT x.*, ((LEAST(x.__pgt_l1, x.__pgt_r1)) OPERATOR(pg_catalog.-) (LEAST(x.__pgt_l1 OPERATOR(pg_catalog.-) x.__pgt_dl, x.__pgt_r1 OPERATOR(pg_catalog.-) x.__pgt_dr)))::bigint AS __pgt_net
      FROM (
      SELECT k.*, (SELECT pg_catalog.count(*) FROM (
        SELECT CAST((t.c2_sku) AS text) AS "c4_sku"
          FROM (
          SELECT t."sku" AS "c2_sku" FROM "public"."items" AS t
        ) AS t
      ) AS t WHERE ((t."c4_sku" OPERATOR(pg_catalog.=) k."c10_sku" OR (t."c4_sku" IS NULL AND k."c10_sku" IS NULL)))) AS __pgt_l1, (SELECT pg_catalog.count(*) FROM (
        SELECT CAST((t.c8_note) AS text) AS "c9_note", t."c5_id" AS "c5_id"
          FROM (
          SELECT t."note" AS "c8_note", t."id" AS "c5_id" FROM "public"."orders" AS t
        ) AS t
      ) AS t WHERE ((t."c9_note" OPERATOR(pg_catalog.=) k."c10_sku" OR (t."c9_note" IS NULL AND k."c10_sku" IS NULL)))) AS __pgt_r1
        FROM __pgt_cte_setopnet_5 AS k
       WHERE k.__pgt_dl OPERATOR(pg_catalog.<>) 0 OR k.__pgt_dr OPERATOR(pg_catalog.<>) 0
    ) AS x
  ) AS y
   WHERE y.__pgt_net OPERATOR(pg_catalog.<>) 0
)
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(c.__pgt_lineage)::text, (g.ordinal)::text]::text[]) AS __pgt_row_id, CASE WHEN c.__pgt_n OPERATOR(pg_catalog.>) 0 THEN 'I' ELSE 'D' END AS __pgt_action, c."sku", c.__pgt_lineage
  FROM (
  SELECT x.*, ARRAY(SELECT pg_catalog.generate_series(CASE WHEN x.__pgt_n OPERATOR(pg_catalog.>) 0 THEN have.n OPERATOR(pg_catalog.+) 1 ELSE have.n OPERATOR(pg_catalog.+) x.__pgt_n OPERATOR(pg_catalog.+) 1 END, CASE WHEN x.__pgt_n OPERATOR(pg_catalog.>) 0 THEN have.n OPERATOR(pg_catalog.+) x.__pgt_n ELSE have.n END)) AS __pgt_ordinals
    FROM (
    SELECT o.*,
           (pg_catalog.sum(o.__pgt_w) OVER (PARTITION BY o.__pgt_lineage))::bigint AS __pgt_n,
           pg_catalog.row_number() OVER (PARTITION BY o.__pgt_lineage) AS __pgt_rn
      FROM (
      SELECT d."c10_sku" AS "sku", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(d."c10_sku")::text]::text[]) AS __pgt_lineage, d.__pgt_w
        FROM __pgt_cte_dsetop_6 AS d
    ) AS o
  ) AS x
   CROSS JOIN LATERAL (SELECT pg_catalog.count(*) AS n FROM "public"."st_12" AS s WHERE s.__pgt_lineage OPERATOR(pg_catalog.=) x.__pgt_lineage) AS have
   WHERE x.__pgt_rn OPERATOR(pg_catalog.=) 1 AND x.__pgt_n OPERATOR(pg_catalog.<>) 0
) AS c
 CROSS JOIN LATERAL pg_catalog.unnest(c.__pgt_ordinals) AS g(ordinal);
