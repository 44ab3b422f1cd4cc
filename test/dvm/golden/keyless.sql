-- query: SELECT sku, price FROM items WHERE price > 0
-- strategy: lineage; hidden: __pgt_lineage bigint
-- Project c2_sku::text AS c4_sku, c3_price::numeric AS c5_price
--   Filter c3_price > 0
--     Scan "public"."items" AS "items" [sku, price] keyless

-- FULL
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(l.__pgt_lineage)::text, (pg_catalog.row_number() OVER (PARTITION BY l.__pgt_lineage))::text]::text[]) AS __pgt_row_id, l."sku", l."price", l.__pgt_lineage
  FROM (
  SELECT r."c4_sku" AS "sku", r."c5_price" AS "price", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(r."c4_sku")::text, (pg_catalog.trim_scale(r."c5_price"))::text]::text[]) AS __pgt_lineage
    FROM (
    SELECT CAST((t.c2_sku) AS text) AS "c4_sku", CAST((t.c3_price) AS numeric) AS "c5_price"
      FROM (
      SELECT t."c2_sku" AS "c2_sku", t."c3_price" AS "c3_price"
        FROM (
        SELECT t."sku" AS "c2_sku", t."price" AS "c3_price" FROM "public"."items" AS t
      ) AS t
       WHERE (t.c3_price > 0)
    ) AS t
  ) AS r
) AS l;

-- DELTA
WITH __pgt_cte_dscan_1 AS (
  SELECT c."new_sku" AS "c2_sku", c."new_price" AS "c3_price", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<items>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 7::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <items>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 7::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <items>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 7::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <items>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 7::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <items>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_sku" AS "c2_sku", c."old_price" AS "c3_price", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<items>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 7::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <items>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 7::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <items>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 7::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <items>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 7::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <items>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_dfilter_2 AS (
  SELECT t."c2_sku" AS "c2_sku", t."c3_price" AS "c3_price", t.__pgt_w
    FROM __pgt_cte_dscan_1 AS t
   WHERE (t.c3_price > 0)
),
__pgt_cte_dproject_3 AS (
  SELECT CAST((t.c2_sku) AS text) AS "c4_sku", CAST((t.c3_price) AS numeric) AS "c5_price", t.__pgt_w
    FROM __pgt_cte_dfilter_2 AS t
)
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(c.__pgt_lineage)::text, (g.ordinal)::text]::text[]) AS __pgt_row_id, CASE WHEN c.__pgt_n OPERATOR(pg_catalog.>) 0 THEN 'I' ELSE 'D' END AS __pgt_action, c."sku", c."price", c.__pgt_lineage
  FROM (
  SELECT x.*, ARRAY(SELECT pg_catalog.generate_series(CASE WHEN x.__pgt_n OPERATOR(pg_catalog.>) 0 THEN have.n OPERATOR(pg_catalog.+) 1 ELSE have.n OPERATOR(pg_catalog.+) x.__pgt_n OPERATOR(pg_catalog.+) 1 END, CASE WHEN x.__pgt_n OPERATOR(pg_catalog.>) 0 THEN have.n OPERATOR(pg_catalog.+) x.__pgt_n ELSE have.n END)) AS __pgt_ordinals
    FROM (
    SELECT o.*,
           (pg_catalog.sum(o.__pgt_w) OVER (PARTITION BY o.__pgt_lineage))::bigint AS __pgt_n,
           pg_catalog.row_number() OVER (PARTITION BY o.__pgt_lineage) AS __pgt_rn
      FROM (
      SELECT d."c4_sku" AS "sku", d."c5_price" AS "price", "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(d."c4_sku")::text, (pg_catalog.trim_scale(d."c5_price"))::text]::text[]) AS __pgt_lineage, d.__pgt_w
        FROM __pgt_cte_dproject_3 AS d
    ) AS o
  ) AS x
   CROSS JOIN LATERAL (SELECT pg_catalog.count(*) AS n FROM "public"."st_7" AS s WHERE s.__pgt_lineage OPERATOR(pg_catalog.=) x.__pgt_lineage) AS have
   WHERE x.__pgt_rn OPERATOR(pg_catalog.=) 1 AND x.__pgt_n OPERATOR(pg_catalog.<>) 0
) AS c
 CROSS JOIN LATERAL pg_catalog.unnest(c.__pgt_ordinals) AS g(ordinal);
