-- query: SELECT id, amt * 2 AS doubled, coalesce(note, '-') AS note FROM orders WHERE amt > 10
-- strategy: keyed; hidden: none
-- Project c1_id::integer AS c5_id, c3_amt * 2::numeric AS c6_doubled, COALESCE(c4_note, '-')::text AS c7_note
--   Filter c3_amt > 10
--     Scan "public"."orders" AS "orders" [id, amt, note] key(id)

-- FULL
SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(r."c1_id")::text]::text[]) AS __pgt_row_id, r."c5_id" AS "id", r."c6_doubled" AS "doubled", r."c7_note" AS "note"
  FROM (
  SELECT CAST((t.c1_id) AS integer) AS "c5_id", CAST((t.c3_amt * 2) AS numeric) AS "c6_doubled", CAST((COALESCE(t.c4_note, '-')) AS text) AS "c7_note", t."c1_id" AS "c1_id"
    FROM (
    SELECT t."c1_id" AS "c1_id", t."c3_amt" AS "c3_amt", t."c4_note" AS "c4_note"
      FROM (
      SELECT t."id" AS "c1_id", t."amt" AS "c3_amt", t."note" AS "c4_note" FROM "public"."orders" AS t
    ) AS t
     WHERE (t.c3_amt > 10)
  ) AS t
) AS r;

-- DELTA
WITH __pgt_cte_dscan_1 AS (
  SELECT c."new_id" AS "c1_id", c."new_amt" AS "c3_amt", c."new_note" AS "c4_note", (1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 1::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 1::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 1::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 1::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'I' OR c.action OPERATOR(pg_catalog.=) 'U')
  UNION ALL
  SELECT c."old_id" AS "c1_id", c."old_amt" AS "c3_amt", c."old_note" AS "c4_note", (-1)::bigint AS __pgt_w
    FROM "pgtrickle_changes"."changes_<orders>" AS c
   WHERE c.xid OPERATOR(pg_catalog.>=) pg_catalog.pg_snapshot_xmin((SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 1::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
     AND pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT pgtrickle.refresh_snapshot()))
     AND (NOT pg_catalog.pg_visible_in_snapshot(c.xid, (SELECT __pgt_f.frontier FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 1::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid))
          OR (c.xid OPERATOR(pg_catalog.=) (SELECT __pgt_f.self_xid FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 1::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid) AND c.change_id OPERATOR(pg_catalog.>) (SELECT __pgt_f.self_change_id FROM pgtrickle.pgt_coord_frontiers AS __pgt_f WHERE __pgt_f.pgt_id OPERATOR(pg_catalog.=) 1::bigint AND __pgt_f.source_relid OPERATOR(pg_catalog.=) <orders>::oid)))
     AND (c.action OPERATOR(pg_catalog.=) 'D' OR c.action OPERATOR(pg_catalog.=) 'U')
),
__pgt_cte_dfilter_2 AS (
  SELECT t."c1_id" AS "c1_id", t."c3_amt" AS "c3_amt", t."c4_note" AS "c4_note", t.__pgt_w
    FROM __pgt_cte_dscan_1 AS t
   WHERE (t.c3_amt > 10)
),
__pgt_cte_dproject_3 AS (
  SELECT CAST((t.c1_id) AS integer) AS "c5_id", CAST((t.c3_amt * 2) AS numeric) AS "c6_doubled", CAST((COALESCE(t.c4_note, '-')) AS text) AS "c7_note", t."c1_id" AS "c1_id", t.__pgt_w
    FROM __pgt_cte_dfilter_2 AS t
)
SELECT DISTINCT ON (n.__pgt_row_id) n.__pgt_row_id, CASE WHEN n.__pgt_n OPERATOR(pg_catalog.>) 0 THEN 'I' ELSE 'D' END AS __pgt_action, n."id", n."doubled", n."note"
  FROM (
  SELECT o.*, (pg_catalog.sum(o.__pgt_w) OVER (PARTITION BY o.__pgt_row_id, o.__pgt_h))::bigint AS __pgt_n
    FROM (
    SELECT "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(d."c1_id")::text]::text[]) AS __pgt_row_id, "pgtrickle"."pg_trickle_hash_multi"(ARRAY[(d."c5_id")::text, (d."c6_doubled")::text, (d."c7_note")::text]::text[]) AS __pgt_h, d."c5_id" AS "id", d."c6_doubled" AS "doubled", d."c7_note" AS "note", d.__pgt_w
      FROM __pgt_cte_dproject_3 AS d
  ) AS o
) AS n
 WHERE n.__pgt_n OPERATOR(pg_catalog.<>) 0
 ORDER BY n.__pgt_row_id, n.__pgt_n DESC;
