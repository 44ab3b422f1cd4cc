-- query: SELECT id, amt FROM orders ORDER BY amt DESC, id LIMIT 3
-- strategy: topk; hidden: none
-- TopK ORDER BY c6_amt DESC NULLS FIRST, c5_id NULLS LAST LIMIT 3 (boundary recompute: the first n+m rows re-read when the input changed)
--   Project c1_id::integer AS c5_id, c3_amt::numeric(10,2) AS c6_amt
--     Scan "public"."orders" AS "orders" [id, amt] key(id)

-- FULL
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(k."c5_id")::text, (k."c6_amt")::text, (pg_catalog.row_number() OVER (PARTITION BY k."c5_id", k."c6_amt"))::text]::text[]) AS __pgt_row_id, k."c5_id" AS "id", k."c6_amt" AS "amt"
  FROM (
  SELECT t."c5_id", t."c6_amt"
    FROM (
    SELECT CAST((t.c1_id) AS integer) AS "c5_id", CAST((t.c3_amt) AS numeric(10,2)) AS "c6_amt", t."c1_id" AS "c1_id"
      FROM (
      SELECT t."id" AS "c1_id", t."amt" AS "c3_amt" FROM "public"."orders" AS t
    ) AS t
  ) AS t
   ORDER BY t."c6_amt" DESC NULLS FIRST, t."c5_id" ASC NULLS LAST
   LIMIT 3
) AS k;

-- DELTA
WITH __pgt_cte_dscan_1 AS (
  SELECT c."new_id" AS "c1_id", c."new_amt" AS "c3_amt", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 14::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 14::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 14::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 14::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_id" AS "c1_id", c."old_amt" AS "c3_amt", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 14::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 14::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 14::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 14::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_dproject_2 AS (
  SELECT CAST((t.c1_id) AS integer) AS "c5_id", CAST((t.c3_amt) AS numeric(10,2)) AS "c6_amt", t."c1_id" AS "c1_id", t.__pgt_w
    FROM __pgt_cte_dscan_1 AS t
),
__pgt_cte_topk_3 AS (
  SELECT k.* FROM (
    SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(k."c5_id")::text, (k."c6_amt")::text, (pg_catalog.row_number() OVER (PARTITION BY k."c5_id", k."c6_amt"))::text]::text[]) AS __pgt_row_id, k."c5_id" AS "id", k."c6_amt" AS "amt"
      FROM (
      SELECT t."c5_id", t."c6_amt"
        FROM (
        SELECT CAST((t.c1_id) AS integer) AS "c5_id", CAST((t.c3_amt) AS numeric(10,2)) AS "c6_amt", t."c1_id" AS "c1_id"
          FROM (
          SELECT t."id" AS "c1_id", t."amt" AS "c3_amt" FROM "public"."orders" AS t
        ) AS t
      ) AS t
       ORDER BY t."c6_amt" DESC NULLS FIRST, t."c5_id" ASC NULLS LAST
       LIMIT 3
    ) AS k
  ) AS k WHERE EXISTS (SELECT FROM __pgt_cte_dproject_2)
)
SELECT k.__pgt_row_id, 'I' AS __pgt_action, k."id", k."amt"
  FROM __pgt_cte_topk_3 AS k
 WHERE NOT EXISTS (SELECT FROM "public"."st_14" AS s WHERE s.__pgt_row_id OPERATOR(pg_catalog.=) k.__pgt_row_id)
UNION ALL
SELECT s.__pgt_row_id, 'D' AS __pgt_action, s."id", s."amt"
  FROM "public"."st_14" AS s
 WHERE EXISTS (SELECT FROM __pgt_cte_dproject_2)
   AND NOT EXISTS (SELECT FROM __pgt_cte_topk_3 AS k WHERE k.__pgt_row_id OPERATOR(pg_catalog.=) s.__pgt_row_id);
