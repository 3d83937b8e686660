-- Secondary indexes of the big tables are built once after the load rather
-- than maintained row by row during it (several times faster for GiST and
-- GIN). Unique indexes stay: they enforce constraints. The reviews indexes
-- stay too: the review statistics triggers look reviews up by target while
-- they are inserted.
CREATE TABLE otter_gen.deferred_indexes (name text PRIMARY KEY, definition text NOT NULL);
INSERT INTO otter_gen.deferred_indexes
SELECT i.indexname, i.indexdef
  FROM pg_indexes AS i
  JOIN pg_class AS c ON c.relname = i.indexname AND c.relnamespace = 'public'::regnamespace
  JOIN pg_index AS x ON x.indexrelid = c.oid
 WHERE i.schemaname = 'public'
   AND i.tablename IN ('users', 'tour_leaders', 'tours', 'tour_schedules', 'bookings', 'payments')
   AND NOT x.indisunique;
DO $$
DECLARE
    index_name text;
BEGIN
    FOR index_name IN SELECT name FROM otter_gen.deferred_indexes LOOP
        EXECUTE format('DROP INDEX public.%I', index_name);
    END LOOP;
END;
$$;
