-- Builds the secondary indexes deferred by 00_defer_indexes.sql, and empties
-- the engine's change log (when sql/changes.sql is applied): a daemon reads
-- generated rows through its bulk load, never through the log.

\echo '[generate] secondary indexes'
DO $$
DECLARE
    definition text;
BEGIN
    FOR definition IN SELECT d.definition FROM otter_gen.deferred_indexes AS d ORDER BY d.name LOOP
        EXECUTE definition;
    END LOOP;
    IF to_regclass('public.otter_change_log') IS NOT NULL THEN
        TRUNCATE public.otter_change_log;
    END IF;
END;
$$;
