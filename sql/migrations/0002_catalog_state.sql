-- Migration 0002 (pgtrickle 0.2.0): which release installed the catalog.
--
-- One row, written by the installer after every install or upgrade: the
-- product version (package.json) and the hash of the SQL bundle it applied.
-- A coordinator whose bundle hash differs re-applies its code; one older than
-- product_version refuses to run (src/catalog/install.ts). Its existence also
-- makes a 0.1.0 coordinator, which knows only migration 0001, refuse this
-- catalog instead of running its old code against it.

CREATE TABLE pgtrickle.pgt_coord_catalog (
    singleton       BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    product_version TEXT NOT NULL,
    bundle_hash     TEXT NOT NULL,
    installed_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
