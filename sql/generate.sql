-- The deterministic data generator: fills every table of sql/schema.sql
-- with realistic, interlinked rows. Run through scripts/generate-data,
-- which sets the row counts of a scale as psql variables and runs this file
-- in one transaction (all or nothing). The helper schema otter_gen exists
-- only while it runs.
\set ON_ERROR_STOP on
\timing on
SET client_min_messages = warning;
CREATE SCHEMA otter_gen;
\ir generate/00_defer_indexes.sql
\ir generate/01_reference.sql
\ir generate/02_functions.sql
\ir generate/03_people.sql
\ir generate/04_tours.sql
\ir generate/05_activity.sql
\ir generate/06_finish.sql
DROP SCHEMA otter_gen CASCADE;
\echo '[generate] analyze'
ANALYZE;
