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
-- Pruning
--   otter_change_log_prune(below) deletes the rows with xid < below. The
--   daemon passes its prune bound: the xid of its anchor, the last log row
--   it applied, which it keeps so that it can tell when rows it still needs
--   were pruned (it then reloads everything; see loader/change_follower.h).
--   With several replicas following the same database, disable their own
--   pruning and pass the SMALLEST of their prune bounds (`stats` shows it).
--
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
    'Which rows of the engine''s tables changed, by which transaction (xid); written by triggers, read by otterd in (xid, id) order below pg_snapshot_xmin, pruned by otter_change_log_prune().';
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
SET search_path FROM CURRENT
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

-- Deletes the log rows with xid < below (rows every follower has applied)
-- and returns how many. `below` is clamped to the current fence, so a
-- position from the future cannot delete rows of transactions still
-- running. With several replicas, pass the smallest of their prune bounds.
CREATE FUNCTION otter_change_log_prune(below xid8)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
DECLARE
    fence xid8 := pg_snapshot_xmin(pg_current_snapshot());
    deleted bigint;
BEGIN
    IF below IS NULL THEN
        RAISE EXCEPTION 'otter_change_log_prune: below must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    DELETE FROM otter_change_log WHERE xid < LEAST(below, fence);
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN deleted;
END;
$$;

COMMENT ON FUNCTION otter_change_log_prune(xid8) IS
    'Deletes change-log rows with xid below min(below, current fence); returns the count. With several replicas pass the smallest of their prune bounds.';

-- Privileges. Functions are executable by PUBLIC by default: take that back.
-- otter_reader follows the log; otter_app (the main API) asks for positions;
-- otter_writer prunes (through the function only: no DELETE on the table).
REVOKE ALL ON otter_change_log FROM PUBLIC;
REVOKE ALL ON FUNCTION otter_log_changes() FROM PUBLIC;
REVOKE ALL ON FUNCTION otter_change_position() FROM PUBLIC;
REVOKE ALL ON FUNCTION otter_change_log_prune(xid8) FROM PUBLIC;
GRANT SELECT ON otter_change_log TO otter_reader;
GRANT EXECUTE ON FUNCTION otter_change_position() TO otter_reader, otter_app;
GRANT EXECUTE ON FUNCTION otter_change_log_prune(xid8) TO otter_writer;

COMMIT;
