/**
 * TPC-H at a small scale factor, entirely in SQL: the eight tables (with
 * their primary keys), a deterministic generator and the refresh functions
 * RF1 (new orders with their line items), RF2 (delete old orders) and RF3
 * (updates of prices, quantities, balances, priorities and availability).
 *
 * The data follows the specification's shapes closely enough that every
 * query returns rows (value domains, date ranges, one customer in three
 * without orders, comments with "special requests" and "Customer
 * Complaints", phone country codes); pseudo-random choices use `hashint4`, so
 * a scale factor always yields the same data.
 */

export const TABLES = ['region', 'nation', 'supplier', 'part', 'partsupp', 'customer', 'orders', 'lineitem'] as const;

export function ddl(schema: string): string {
  return `
CREATE SCHEMA ${schema};
SET search_path = ${schema}, public;
CREATE TABLE region (r_regionkey int PRIMARY KEY, r_name char(25) NOT NULL, r_comment varchar(152));
CREATE TABLE nation (n_nationkey int PRIMARY KEY, n_name char(25) NOT NULL, n_regionkey int NOT NULL, n_comment varchar(152));
CREATE TABLE supplier (s_suppkey int PRIMARY KEY, s_name char(25) NOT NULL, s_address varchar(40) NOT NULL, s_nationkey int NOT NULL,
  s_phone char(15) NOT NULL, s_acctbal numeric(15,2) NOT NULL, s_comment varchar(101) NOT NULL);
CREATE TABLE part (p_partkey int PRIMARY KEY, p_name varchar(55) NOT NULL, p_mfgr char(25) NOT NULL, p_brand char(10) NOT NULL,
  p_type varchar(25) NOT NULL, p_size int NOT NULL, p_container char(10) NOT NULL, p_retailprice numeric(15,2) NOT NULL, p_comment varchar(23) NOT NULL);
CREATE TABLE partsupp (ps_partkey int NOT NULL, ps_suppkey int NOT NULL, ps_availqty int NOT NULL, ps_supplycost numeric(15,2) NOT NULL,
  ps_comment varchar(199) NOT NULL, PRIMARY KEY (ps_partkey, ps_suppkey));
CREATE TABLE customer (c_custkey int PRIMARY KEY, c_name varchar(25) NOT NULL, c_address varchar(40) NOT NULL, c_nationkey int NOT NULL,
  c_phone char(15) NOT NULL, c_acctbal numeric(15,2) NOT NULL, c_mktsegment char(10) NOT NULL, c_comment varchar(117) NOT NULL);
CREATE TABLE orders (o_orderkey int PRIMARY KEY, o_custkey int NOT NULL, o_orderstatus char(1) NOT NULL, o_totalprice numeric(15,2) NOT NULL,
  o_orderdate date NOT NULL, o_orderpriority char(15) NOT NULL, o_clerk char(15) NOT NULL, o_shippriority int NOT NULL, o_comment varchar(79) NOT NULL);
CREATE TABLE lineitem (l_orderkey int NOT NULL, l_partkey int NOT NULL, l_suppkey int NOT NULL, l_linenumber int NOT NULL,
  l_quantity numeric(15,2) NOT NULL, l_extendedprice numeric(15,2) NOT NULL, l_discount numeric(15,2) NOT NULL, l_tax numeric(15,2) NOT NULL,
  l_returnflag char(1) NOT NULL, l_linestatus char(1) NOT NULL, l_shipdate date NOT NULL, l_commitdate date NOT NULL, l_receiptdate date NOT NULL,
  l_shipinstruct char(25) NOT NULL, l_shipmode char(10) NOT NULL, l_comment varchar(44) NOT NULL, PRIMARY KEY (l_orderkey, l_linenumber));
CREATE INDEX ON lineitem (l_partkey, l_suppkey);
CREATE INDEX ON orders (o_custkey);
CREATE INDEX ON partsupp (ps_suppkey);
${FUNCTIONS}
`;
}

/** `h(x, salt)`: a deterministic pseudo-random int in [0, n). */
const FUNCTIONS = `
CREATE FUNCTION rnd(x int, salt int, n int) RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN (abs(hashint8(x::bigint * 7919 + salt)::bigint) % n)::int;
CREATE FUNCTION pick(x int, salt int, VARIADIC xs text[]) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN xs[1 + rnd(x, salt, cardinality(xs))];

-- Orders with keys from..to (RF1 continues after the largest key); 1–7 line items each.
CREATE FUNCTION gen_orders(from_key int, to_key int, customers int, parts int, suppliers int) RETURNS void LANGUAGE sql AS $$
  INSERT INTO orders
  SELECT g, c, 'O', 0, date '1992-01-01' + rnd(g, 11, 2400), pick(g, 12, '1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'),
         'Clerk#' || lpad((1 + rnd(g, 13, 1000))::text, 9, '0'), 0,
         CASE WHEN rnd(g, 14, 10) = 0 THEN 'take special requests carefully' ELSE pick(g, 15, 'furiously final', 'quickly bold deposits', 'ironic packages') END
    FROM generate_series(from_key, to_key) g,
         LATERAL (SELECT 1 + rnd(g, 10, customers) AS c0) c0,
         LATERAL (SELECT CASE WHEN c0 % 3 = 0 THEN c0 % customers + 1 ELSE c0 END AS c) c;
  INSERT INTO lineitem
  SELECT o.o_orderkey, p, 1 + (p + ln * (suppliers / 4 + 1)) % suppliers, ln,
         1 + rnd(o.o_orderkey * 8 + ln, 21, 50), 0, rnd(o.o_orderkey * 8 + ln, 22, 11) / 100.0, rnd(o.o_orderkey * 8 + ln, 23, 9) / 100.0,
         CASE WHEN o.o_orderdate + 60 <= date '1995-06-17' THEN pick(o.o_orderkey * 8 + ln, 24, 'R', 'A') ELSE 'N' END,
         CASE WHEN o.o_orderdate + 60 > date '1995-06-17' THEN 'O' ELSE 'F' END,
         o.o_orderdate + 1 + rnd(o.o_orderkey * 8 + ln, 25, 121), o.o_orderdate + 30 + rnd(o.o_orderkey * 8 + ln, 26, 61),
         o.o_orderdate + 1 + rnd(o.o_orderkey * 8 + ln, 25, 121) + 1 + rnd(o.o_orderkey * 8 + ln, 27, 30),
         pick(o.o_orderkey * 8 + ln, 28, 'DELIVER IN PERSON', 'COLLECT COD', 'NONE', 'TAKE BACK RETURN'),
         pick(o.o_orderkey * 8 + ln, 29, 'REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'), 'line comment'
    FROM orders o, generate_series(1, 1 + rnd(o.o_orderkey, 20, 7)) ln,
         LATERAL (SELECT 1 + rnd(o.o_orderkey * 8 + ln, 30, parts) AS p) p
   WHERE o.o_orderkey BETWEEN from_key AND to_key;
  UPDATE lineitem l SET l_extendedprice = l.l_quantity * p.p_retailprice FROM part p
   WHERE p.p_partkey = l.l_partkey AND l.l_orderkey BETWEEN from_key AND to_key;
  UPDATE orders o SET o_totalprice = s.total, o_orderstatus = s.status
    FROM (SELECT l_orderkey, sum(l_extendedprice * (1 + l_tax) * (1 - l_discount)) AS total,
                 CASE WHEN bool_and(l_linestatus = 'F') THEN 'F' WHEN bool_and(l_linestatus = 'O') THEN 'O' ELSE 'P' END AS status
            FROM lineitem WHERE l_orderkey BETWEEN from_key AND to_key GROUP BY l_orderkey) s
   WHERE o.o_orderkey = s.l_orderkey;
$$;

CREATE FUNCTION tpch_generate(sf numeric) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  suppliers int := greatest(10, (10000 * sf)::int);
  parts int := greatest(40, (200000 * sf)::int);
  customers int := greatest(30, (150000 * sf)::int);
  orders_n int := greatest(300, (1500000 * sf)::int);
BEGIN
  INSERT INTO region VALUES (0, 'AFRICA', 'r'), (1, 'AMERICA', 'r'), (2, 'ASIA', 'r'), (3, 'EUROPE', 'r'), (4, 'MIDDLE EAST', 'r');
  INSERT INTO nation VALUES (0,'ALGERIA',0,'n'),(1,'ARGENTINA',1,'n'),(2,'BRAZIL',1,'n'),(3,'CANADA',1,'n'),(4,'EGYPT',4,'n'),(5,'ETHIOPIA',0,'n'),
    (6,'FRANCE',3,'n'),(7,'GERMANY',3,'n'),(8,'INDIA',2,'n'),(9,'INDONESIA',2,'n'),(10,'IRAN',4,'n'),(11,'IRAQ',4,'n'),(12,'JAPAN',2,'n'),
    (13,'JORDAN',4,'n'),(14,'KENYA',0,'n'),(15,'MOROCCO',0,'n'),(16,'MOZAMBIQUE',0,'n'),(17,'PERU',1,'n'),(18,'CHINA',2,'n'),(19,'ROMANIA',3,'n'),
    (20,'SAUDI ARABIA',4,'n'),(21,'VIETNAM',2,'n'),(22,'RUSSIA',3,'n'),(23,'UNITED KINGDOM',3,'n'),(24,'UNITED STATES',1,'n');
  INSERT INTO supplier
  SELECT g, 'Supplier#' || lpad(g::text, 9, '0'), 'addr ' || g, rnd(g, 1, 25), (10 + rnd(g, 1, 25))::text || '-' || lpad(rnd(g, 2, 1000)::text, 3, '0') || '-555-0100',
         (rnd(g, 3, 1099998) - 99999) / 100.0,
         CASE WHEN rnd(g, 4, 20) = 0 THEN 'slyly Customer sly Complaints' ELSE pick(g, 5, 'final deposits', 'blithely regular', 'carefully ironic') END
    FROM generate_series(1, suppliers) g;
  INSERT INTO part
  SELECT g, pick(g, 1, 'forest', 'almond', 'blue', 'green', 'ivory', 'lace', 'navy') || ' ' || pick(g, 2, 'chiffon', 'misty', 'olive', 'rose'),
         'Manufacturer#' || (1 + rnd(g, 3, 5)), 'Brand#' || (1 + rnd(g, 3, 5)) || (1 + rnd(g, 4, 5)),
         pick(g, 5, 'STANDARD', 'SMALL', 'MEDIUM', 'LARGE', 'ECONOMY', 'PROMO') || ' ' || pick(g, 6, 'ANODIZED', 'BURNISHED', 'PLATED', 'POLISHED', 'BRUSHED') || ' ' ||
           pick(g, 7, 'TIN', 'NICKEL', 'BRASS', 'STEEL', 'COPPER'),
         1 + rnd(g, 8, 50), pick(g, 9, 'SM', 'LG', 'MED', 'JUMBO', 'WRAP') || ' ' || pick(g, 10, 'CASE', 'BOX', 'BAG', 'JAR', 'PKG', 'PACK', 'CAN', 'DRUM'),
         (90000 + (g / 10) % 20001 + 100 * (g % 1000)) / 100.0, 'part'
    FROM generate_series(1, parts) g;
  INSERT INTO partsupp
  SELECT p, 1 + (p + i * (suppliers / 4 + 1)) % suppliers, 1 + rnd(p * 4 + i, 1, 9999), (100 + rnd(p * 4 + i, 2, 99901)) / 100.0, 'ps'
    FROM generate_series(1, parts) p, generate_series(0, 3) i
  ON CONFLICT DO NOTHING;
  INSERT INTO customer
  SELECT g, 'Customer#' || lpad(g::text, 9, '0'), 'addr ' || g, rnd(g, 1, 25), (10 + rnd(g, 1, 25))::text || '-' || lpad(rnd(g, 2, 1000)::text, 3, '0') || '-555-0100',
         (rnd(g, 3, 1099998) - 99999) / 100.0, pick(g, 4, 'AUTOMOBILE', 'BUILDING', 'FURNITURE', 'MACHINERY', 'HOUSEHOLD'), 'cust'
    FROM generate_series(1, customers) g;
  PERFORM gen_orders(1, orders_n, customers, parts, suppliers);
END $$;

-- RF1: n new orders (and their line items) after the largest key.
CREATE FUNCTION tpch_rf1(n int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE k int := (SELECT max(o_orderkey) FROM orders);
BEGIN
  PERFORM gen_orders(k + 1, k + n, (SELECT count(*)::int FROM customer), (SELECT count(*)::int FROM part), (SELECT count(*)::int FROM supplier));
END $$;

-- RF2: delete the n oldest orders (by key) and their line items.
CREATE FUNCTION tpch_rf2(n int) RETURNS void LANGUAGE sql AS $$
  WITH old AS (SELECT o_orderkey FROM orders ORDER BY o_orderkey LIMIT n)
  DELETE FROM lineitem WHERE l_orderkey IN (SELECT o_orderkey FROM old);
  DELETE FROM orders WHERE o_orderkey IN (SELECT o_orderkey FROM orders ORDER BY o_orderkey LIMIT n);
$$;

-- RF3: updates that move rows between groups and across predicates; cycle picks the rows.
CREATE FUNCTION tpch_rf3(n int, cycle int) RETURNS void LANGUAGE sql AS $$
  UPDATE lineitem SET l_quantity = 1 + (l_quantity::int + 17 * cycle) % 50, l_discount = ((l_discount * 100)::int + 3) % 11 / 100.0,
         l_shipdate = l_shipdate + (cycle % 3) - 1
   WHERE (l_orderkey, l_linenumber) IN (SELECT l_orderkey, l_linenumber FROM lineitem ORDER BY rnd(l_orderkey * 8 + l_linenumber, cycle, 1000000) LIMIT n);
  UPDATE orders SET o_orderpriority = CASE WHEN o_orderpriority = '1-URGENT' THEN '3-MEDIUM' ELSE '1-URGENT' END,
         o_comment = CASE WHEN o_comment LIKE '%special%requests%' THEN 'plain' ELSE 'special requests' END
   WHERE o_orderkey IN (SELECT o_orderkey FROM orders ORDER BY rnd(o_orderkey, cycle + 100, 1000000) LIMIT greatest(1, n / 4));
  UPDATE customer SET c_acctbal = c_acctbal + 1000 - 500 * (cycle % 3)
   WHERE c_custkey IN (SELECT c_custkey FROM customer ORDER BY rnd(c_custkey, cycle + 200, 1000000) LIMIT greatest(1, n / 20));
  UPDATE partsupp SET ps_availqty = (ps_availqty + 5000) % 10000, ps_supplycost = ps_supplycost + 1
   WHERE (ps_partkey, ps_suppkey) IN (SELECT ps_partkey, ps_suppkey FROM partsupp ORDER BY rnd(ps_partkey * 4 + ps_suppkey, cycle + 300, 1000000) LIMIT greatest(1, n / 8));
$$;
`;
