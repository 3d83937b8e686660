-- =============================================================================
-- otterd's change log (PostgreSQL 15): applied after sql/schema.sql
-- =============================================================================
--
-- What this file is
--   The change feed otterd follows (SPEC.md section 4): every change to a
--   table the engine reads is recorded in otter_change_log by a trigger, in
--   the writing transaction, and the channel otter_changes is notified as a
--   wake-up. The log says WHICH rows changed, never their contents: the
--   daemon re-reads the current rows, so replaying a change is harmless.
--
-- How to apply it
--   psql -v ON_ERROR_STOP=1 -d otter_trip -f sql/schema.sql
--   psql -v ON_ERROR_STOP=1 -d otter_trip -f sql/changes.sql
--   One transaction, like schema.sql: applied twice, the first CREATE fails
--   and nothing changes. Plain SQL, no psql meta-commands.
--
-- The position (read-your-writes, SPEC.md section 3)
--   Positions are transaction ids (xid8, 64-bit, never wrap around).
--
--   * otterd's applied position `as_of` is the fence F of its last
--     catch-up: F = pg_snapshot_xmin(pg_current_snapshot()) taken in the
--     snapshot it read the log with. Every transaction with xid < F had
--     finished (committed or aborted) when that snapshot was taken, so its
--     log rows were visible to it and were applied (or never existed). The
--     daemon then moves its cursor to F and never reads below it again.
--   * otter_change_position() returns P = pg_snapshot_xmax(pg_current_snapshot()):
--     one past the newest transaction that had finished when the caller's
--     snapshot was taken. Called by the main API after its write W has
--     committed, it gives P > xid(W) (W finished before that snapshot), and
--     more: P exceeds the xid of every transaction whose effects the caller
--     could have seen.
--   * Hence once as_of = F >= P, every transaction with xid < P (in
--     particular W) is applied: the engine answers with at least what the
--     caller saw. Using pg_snapshot_xmin for P would be wrong (an older
--     transaction still running makes it lower than xid(W)); using
--     pg_current_xact_id() inside W would assign an xid to read-only
--     callers and need a strict comparison.
--   * F catches up with P as soon as every transaction that was running when
--     P was taken has finished: a long-running transaction anywhere delays
--     read-your-writes (and all change following), it never breaks it. With
--     nothing running, xmin = xmax, so an idle database lets F reach P.
--
-- Consumers and pruning
--   Every follower (an otterd replica) is a consumer with a name. It
--   records its applied position as_of in otter_change_consumers through
--   otter_change_consumer_advance() (every prune interval, and around each
--   bulk load), then calls otter_change_log_prune(), which deletes the log
--   rows below the smallest as_of of the consumers that reported within a
--   retention window (default one hour), and never at or above the current
--   fence. So several replicas share one database and each prunes, without
--   removing a row another live replica still needs.
--
--   * A consumer silent for longer than the window no longer holds the log
--     back: a replica that was stopped or cut off does not make the log grow
--     without bound. When it comes back it may find rows it needs gone;
--     otter_change_log_horizon tells it so. A prune raises the horizon's
--     pruned_below to the bound it pruned below, in the same transaction as
--     its DELETE. A follower reads the horizon in the same snapshot as the
--     log rows of each catch-up step: if pruned_below exceeds its fence,
--     rows it has not applied may be gone, and it bulk-loads again instead
--     (see loader/change_follower.h). A snapshot sees the DELETE and the
--     raised horizon both or neither.
--   * A follower registers before a bulk load with the current fence, which
--     is at most the fence the load then takes, so live replicas do not
--     prune past a load in progress; after the load it records the load's
--     fence.
--   * A replica taken out of service for good: otter_change_consumer_remove().
--     Replicas must have distinct names; two sharing one hold the log back
--     only as far as the more advanced of them.
--   * Positions never move backwards: advancing to an older as_of keeps the
--     newer one.

-- Design notes
--   * The triggers are statement-level with transition tables (the idiom of
--     schema.sql's review statistics): one set-based INSERT into the log per
--     statement instead of one trigger call per row, so bulk writes (the
--     data generator, imports, the statistics triggers updating a million
--     tours) stay fast. They record exactly one log row per changed row
--     (deduplicated per key within a statement), in the same transaction.
--   * One pg_notify('otter_changes', '') per statement that changed rows,
--     constant payload: PostgreSQL folds identical notifications of one
--     transaction into one, so a transaction notifies once, at commit.
--   * The trigger function is SECURITY DEFINER: writers (otter_app) need no
--     privilege on the log and cannot forge or delete its rows.
--   * TRUNCATE of a followed table logs one row with op 'T' and no key:
--     the follower must reload that table.
--   * The SECURITY DEFINER functions search public, then pg_temp (which
--     would otherwise come first): a caller's temporary table cannot stand
--     in for the log or the consumers.
-- =============================================================================

BEGIN;

CREATE TABLE otter_change_log (
    id          bigint      GENERATED ALWAYS AS IDENTITY,
    xid         xid8        NOT NULL DEFAULT pg_current_xact_id(),
    table_name  text        NOT NULL,
    -- The key the engine re-reads by: the row's id for tours, tour_leaders,
    -- tour_schedules and personality_types; leader_id for leader_languages
    -- and leader_specialties; user_id for user_quiz_results. NULL for 'T'.
    row_key     uuid,
    -- tour_schedules: the schedule's tour_id (so a deleted schedule still
    -- names its tour). NULL for the other tables.
    parent_key  uuid,
    op          "char"      NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- The follower's read order and cursor: (xid, id).
    CONSTRAINT otter_change_log_pkey PRIMARY KEY (xid, id),
    CONSTRAINT otter_change_log_table_name_check CHECK (table_name IN (
        'tours', 'tour_leaders', 'leader_languages', 'leader_specialties',
        'tour_schedules', 'user_quiz_results', 'personality_types')),
    CONSTRAINT otter_change_log_op_check CHECK (op IN ('I', 'U', 'D', 'T')),
    CONSTRAINT otter_change_log_row_key_check CHECK ((op = 'T') = (row_key IS NULL)),
    CONSTRAINT otter_change_log_parent_key_check
        CHECK (parent_key IS NULL OR table_name = 'tour_schedules')
);

COMMENT ON TABLE otter_change_log IS
    'Which rows of the engine''s tables changed, by which transaction (xid); written by triggers, read by otterd in (xid, id) order below pg_snapshot_xmin, pruned by otter_change_log_prune() below every live consumer''s position.';
COMMENT ON COLUMN otter_change_log.xid IS
    'The writing transaction (pg_current_xact_id()); rows become readable once xid < pg_snapshot_xmin(pg_current_snapshot()).';
COMMENT ON COLUMN otter_change_log.op IS
    'I, U, D; T for a TRUNCATE (reload the table). Informational: the follower re-reads current rows.';

-- Statement-level AFTER INSERT/UPDATE/DELETE/TRUNCATE trigger on the engine's
-- tables. Transition tables: new_rows (INSERT, UPDATE), old_rows (UPDATE,
-- DELETE). An UPDATE logs the keys of both its old and new rows, so a
-- changed key logs both. PL/pgSQL caches plans per trigger, so the static
-- statements below are planned once per table.
CREATE FUNCTION otter_log_changes()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    op "char" := left(TG_OP, 1);
    logged bigint := 0;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        INSERT INTO otter_change_log (table_name, op) VALUES (TG_TABLE_NAME, 'T');
        logged := 1;
    ELSIF TG_TABLE_NAME IN ('tours', 'tour_leaders', 'personality_types') THEN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO otter_change_log (table_name, row_key, op)
            SELECT TG_TABLE_NAME, n.id, op FROM new_rows AS n;
        ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO otter_change_log (table_name, row_key, op)
            SELECT TG_TABLE_NAME, o.id, op FROM old_rows AS o;
        ELSE
            INSERT INTO otter_change_log (table_name, row_key, op)
            SELECT TG_TABLE_NAME, k.id, op
              FROM (SELECT o.id FROM old_rows AS o UNION SELECT n.id FROM new_rows AS n) AS k;
        END IF;
        GET DIAGNOSTICS logged = ROW_COUNT;
    ELSIF TG_TABLE_NAME IN ('leader_languages', 'leader_specialties') THEN
        -- Keyed by leader: the follower re-reads the leader's whole list.
        IF TG_OP = 'INSERT' THEN
            INSERT INTO otter_change_log (table_name, row_key, op)
            SELECT DISTINCT TG_TABLE_NAME, n.leader_id, op FROM new_rows AS n;
        ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO otter_change_log (table_name, row_key, op)
            SELECT DISTINCT TG_TABLE_NAME, o.leader_id, op FROM old_rows AS o;
        ELSE
            INSERT INTO otter_change_log (table_name, row_key, op)
            SELECT TG_TABLE_NAME, k.leader_id, op
              FROM (SELECT o.leader_id FROM old_rows AS o
                    UNION SELECT n.leader_id FROM new_rows AS n) AS k;
        END IF;
        GET DIAGNOSTICS logged = ROW_COUNT;
    ELSIF TG_TABLE_NAME = 'tour_schedules' THEN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO otter_change_log (table_name, row_key, parent_key, op)
            SELECT TG_TABLE_NAME, n.id, n.tour_id, op FROM new_rows AS n;
        ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO otter_change_log (table_name, row_key, parent_key, op)
            SELECT TG_TABLE_NAME, o.id, o.tour_id, op FROM old_rows AS o;
        ELSE
            -- A schedule moved to another tour logs (id, old tour) and
            -- (id, new tour): both tours' availability changed.
            INSERT INTO otter_change_log (table_name, row_key, parent_key, op)
            SELECT TG_TABLE_NAME, k.id, k.tour_id, op
              FROM (SELECT o.id, o.tour_id FROM old_rows AS o
                    UNION SELECT n.id, n.tour_id FROM new_rows AS n) AS k;
        END IF;
        GET DIAGNOSTICS logged = ROW_COUNT;
    ELSIF TG_TABLE_NAME = 'user_quiz_results' THEN
        -- Keyed by user: the follower re-reads the user's current traits.
        IF TG_OP = 'INSERT' THEN
            INSERT INTO otter_change_log (table_name, row_key, op)
            SELECT DISTINCT TG_TABLE_NAME, n.user_id, op FROM new_rows AS n;
        ELSIF TG_OP = 'DELETE' THEN
            INSERT INTO otter_change_log (table_name, row_key, op)
            SELECT DISTINCT TG_TABLE_NAME, o.user_id, op FROM old_rows AS o;
        ELSE
            INSERT INTO otter_change_log (table_name, row_key, op)
            SELECT TG_TABLE_NAME, k.user_id, op
              FROM (SELECT o.user_id FROM old_rows AS o
                    UNION SELECT n.user_id FROM new_rows AS n) AS k;
        END IF;
        GET DIAGNOSTICS logged = ROW_COUNT;
    ELSE
        RAISE EXCEPTION 'otter_log_changes() is not defined for table %', TG_TABLE_NAME;
    END IF;

    -- A wake-up, never data; statements that changed nothing stay silent.
    IF logged > 0 THEN
        PERFORM pg_notify('otter_changes', '');
    END IF;
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION otter_log_changes() IS
    'Statement-level trigger: logs the keys of the changed rows into otter_change_log and notifies otter_changes (empty payload).';

-- PostgreSQL allows transition tables only on single-event triggers, hence
-- one trigger per event and table.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'tours', 'tour_leaders', 'leader_languages', 'leader_specialties',
        'tour_schedules', 'user_quiz_results', 'personality_types']
    LOOP
        EXECUTE format(
            'CREATE TRIGGER trg_%1$s_changes_insert AFTER INSERT ON %1$I '
            'REFERENCING NEW TABLE AS new_rows '
            'FOR EACH STATEMENT EXECUTE FUNCTION otter_log_changes()', t);
        EXECUTE format(
            'CREATE TRIGGER trg_%1$s_changes_update AFTER UPDATE ON %1$I '
            'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
            'FOR EACH STATEMENT EXECUTE FUNCTION otter_log_changes()', t);
        EXECUTE format(
            'CREATE TRIGGER trg_%1$s_changes_delete AFTER DELETE ON %1$I '
            'REFERENCING OLD TABLE AS old_rows '
            'FOR EACH STATEMENT EXECUTE FUNCTION otter_log_changes()', t);
        EXECUTE format(
            'CREATE TRIGGER trg_%1$s_changes_truncate AFTER TRUNCATE ON %1$I '
            'FOR EACH STATEMENT EXECUTE FUNCTION otter_log_changes()', t);
    END LOOP;
END;
$$;

-- The position for read-your-writes (see the header): call it after your
-- write has committed, pass the result as "after" to otterd. VOLATILE so
-- that every call takes the current snapshot's bound.
CREATE FUNCTION otter_change_position()
RETURNS xid8
LANGUAGE sql VOLATILE PARALLEL SAFE
RETURN pg_snapshot_xmax(pg_current_snapshot());

COMMENT ON FUNCTION otter_change_position() IS
    'pg_snapshot_xmax(pg_current_snapshot()): once otterd''s as_of (its pg_snapshot_xmin fence) is >= this value, every transaction the caller could see is applied.';

-- Each follower's applied position, recorded by the follower itself.
CREATE TABLE otter_change_consumers (
    name        text        NOT NULL,
    -- Every transaction with xid < as_of is applied by this consumer: the
    -- fence of its last catch-up (or bulk load).
    as_of       xid8        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT otter_change_consumers_pkey PRIMARY KEY (name),
    CONSTRAINT otter_change_consumers_name_check CHECK (btrim(name) <> '' AND length(name) <= 200)
);

COMMENT ON TABLE otter_change_consumers IS
    'The followers of otter_change_log (otterd replicas) and their applied positions; written through otter_change_consumer_advance() and otter_change_consumer_remove() only.';
COMMENT ON COLUMN otter_change_consumers.updated_at IS
    'When the consumer last reported; one silent for longer than the prune retention no longer holds the log back.';

-- One row: how far the log has been pruned.
CREATE TABLE otter_change_log_horizon (
    singleton     boolean     NOT NULL DEFAULT true,
    -- Every log row with xid < pruned_below may have been deleted.
    pruned_below  xid8        NOT NULL DEFAULT '0',
    pruned_at     timestamptz,
    CONSTRAINT otter_change_log_horizon_pkey PRIMARY KEY (singleton),
    CONSTRAINT otter_change_log_horizon_singleton_check CHECK (singleton)
);
INSERT INTO otter_change_log_horizon DEFAULT VALUES;

COMMENT ON TABLE otter_change_log_horizon IS
    'One row: otter_change_log rows with xid < pruned_below may be gone. A follower whose fence is below it reloads.';

-- Records `fence` (the fence of the caller's last completed catch-up, or
-- pg_snapshot_xmin(pg_current_snapshot()) before a bulk load) as the
-- position of the consumer `consumer`, creating it on its first call, and
-- returns the stored position: never lower than before. Call it in its own
-- transaction.
CREATE FUNCTION otter_change_consumer_advance(consumer text, fence xid8)
RETURNS xid8
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    current_fence xid8 := pg_snapshot_xmin(pg_current_snapshot());
    stored xid8;
BEGIN
    IF consumer IS NULL OR btrim(consumer) = '' OR length(consumer) > 200 THEN
        RAISE EXCEPTION 'otter_change_consumer_advance: consumer must be a name of 1 to 200 characters, got %',
            coalesce(quote_literal(left(consumer, 40)), 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF fence IS NULL THEN
        RAISE EXCEPTION 'otter_change_consumer_advance: fence must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- Fences only grow: one above the current fence was never read.
    IF fence > current_fence THEN
        RAISE EXCEPTION 'otter_change_consumer_advance: fence % is beyond the current fence %', fence, current_fence
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass the pg_snapshot_xmin(pg_current_snapshot()) a catch-up or bulk load read.';
    END IF;
    INSERT INTO otter_change_consumers AS c (name, as_of, updated_at)
    VALUES (consumer, fence, clock_timestamp())
    ON CONFLICT ON CONSTRAINT otter_change_consumers_pkey DO UPDATE
        SET as_of = GREATEST(c.as_of, EXCLUDED.as_of), updated_at = EXCLUDED.updated_at
    RETURNING c.as_of INTO stored;
    RETURN stored;
END;
$$;

COMMENT ON FUNCTION otter_change_consumer_advance(text, xid8) IS
    'Records a follower''s applied position (never moving it backwards) and when it reported; returns the stored position.';

-- Forgets the consumer `consumer` (a replica taken out of service); true
-- when it existed. A follower still running under that name registers again
-- at its next report.
CREATE FUNCTION otter_change_consumer_remove(consumer text)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    removed bigint;
BEGIN
    DELETE FROM otter_change_consumers WHERE name = consumer;
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed > 0;
END;
$$;

COMMENT ON FUNCTION otter_change_consumer_remove(text) IS
    'Deletes a follower''s position so that it no longer holds the change log back; true when it existed.';

-- Deletes the log rows every live consumer has applied: those with xid
-- below the smallest as_of of the consumers that reported within
-- `retention`, and below the current fence. Returns how many; 0 when no
-- consumer reported within `retention`. Raises the horizon first, which
-- also makes concurrent prunes wait for each other.
CREATE FUNCTION otter_change_log_prune(retention interval DEFAULT interval '1 hour')
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    fence xid8 := pg_snapshot_xmin(pg_current_snapshot());
    bound xid8;
    deleted bigint;
BEGIN
    IF retention IS NULL OR retention <= interval '0' THEN
        RAISE EXCEPTION 'otter_change_log_prune: retention must be a positive interval, got %',
            coalesce(retention::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT min(c.as_of) INTO bound
      FROM otter_change_consumers AS c
     WHERE c.updated_at >= clock_timestamp() - retention;
    IF bound IS NULL THEN
        RETURN 0;
    END IF;
    bound := LEAST(bound, fence);
    UPDATE otter_change_log_horizon
       SET pruned_below = GREATEST(pruned_below, bound), pruned_at = clock_timestamp();
    DELETE FROM otter_change_log WHERE xid < bound;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN deleted;
END;
$$;

COMMENT ON FUNCTION otter_change_log_prune(interval) IS
    'Deletes change-log rows below the smallest position of the consumers that reported within retention (default 1 hour) and below the current fence; raises otter_change_log_horizon; returns the count.';

-- Privileges. Functions are executable by PUBLIC by default: take that back.
-- otter_reader follows the log (and reads the horizon); otter_app (the main
-- API) asks for positions; otter_writer records positions and prunes,
-- through the functions only: no right on the tables themselves.
REVOKE ALL ON otter_change_log, otter_change_consumers, otter_change_log_horizon FROM PUBLIC;
REVOKE ALL ON FUNCTION otter_log_changes() FROM PUBLIC;
REVOKE ALL ON FUNCTION otter_change_position() FROM PUBLIC;
REVOKE ALL ON FUNCTION otter_change_consumer_advance(text, xid8) FROM PUBLIC;
REVOKE ALL ON FUNCTION otter_change_consumer_remove(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION otter_change_log_prune(interval) FROM PUBLIC;
GRANT SELECT ON otter_change_log, otter_change_log_horizon TO otter_reader;
GRANT EXECUTE ON FUNCTION otter_change_position() TO otter_reader, otter_app;
GRANT EXECUTE ON FUNCTION otter_change_consumer_advance(text, xid8) TO otter_writer;
GRANT EXECUTE ON FUNCTION otter_change_consumer_remove(text) TO otter_writer;
GRANT EXECUTE ON FUNCTION otter_change_log_prune(interval) TO otter_writer;

COMMIT;
