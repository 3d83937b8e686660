-- =============================================================================
-- Otter Trip database schema (PostgreSQL 15, PostGIS 3)
-- =============================================================================
--
-- What this file is
--   The complete system of record of Otter Trip, a marketplace of travelers
--   and local tour guides ("tour leaders"): tables, constraints, indexes,
--   triggers, the compatibility function, seed personality types, roles,
--   grants and row-level security. It implements design/database-design.md
--   and the column contract of SPEC.md section 1, which other systems (the
--   main API, the otterd engine, external test suites) rely on: contract
--   columns keep their names and types; every further column is nullable or
--   has a default.
--
-- How to apply it
--   createdb otter_trip
--   psql -v ON_ERROR_STOP=1 -d otter_trip -f sql/schema.sql
--
--   Run it as a superuser or as a role that may create extensions and roles.
--   Everything happens in one transaction: on an existing database the first
--   CREATE fails, the transaction rolls back and nothing is half-applied.
--   The file is plain SQL (no psql meta-commands), so a client library may
--   also send it as one simple-query string; that client must issue
--   ROLLBACK itself if the string fails.
--
-- Not in this file
--   The engine's change-log table and its triggers (a separate file), and
--   the demo/benchmark data generator.
--
-- Conventions
--   lower_snake_case; uuid primary keys defaulting to uuid_generate_v4();
--   timestamptz NOT NULL DEFAULT now(); soft delete through is_active;
--   CHECK constraints are named <table>_<what>_check so that a violation
--   names the rule that was broken.
-- =============================================================================

BEGIN;

CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE EXTENSION IF NOT EXISTS postgis;


-- =============================================================================
-- 1. Helper functions used by constraints and policies
-- =============================================================================
-- SQL-standard bodies (RETURN / BEGIN ATOMIC): they are parsed and bound
-- when created, so they do not depend on the caller's search_path (which
-- pg_restore empties while it loads the rows these CHECKs verify).

-- True when traits is a JSON object whose every value is a number in [0, 1]
-- (an empty object is a valid, if uninformative, trait object). Used by the
-- CHECK constraints of every traits column so that the engine and
-- otter_compatibility() never meet a malformed vector.
CREATE FUNCTION is_valid_traits(traits jsonb)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN jsonb_typeof(traits) = 'object'
   AND NOT jsonb_path_exists(
           traits,
           'strict $.* ? (@.type() != "number" || @ < 0 || @ > 1)');

COMMENT ON FUNCTION is_valid_traits(jsonb) IS
    'True when the argument is a JSON object of trait name -> number in [0,1].';

-- True when value is a JSON array of strings.
CREATE FUNCTION is_string_array(value jsonb)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN jsonb_typeof(value) = 'array'
   AND NOT jsonb_path_exists(value, 'strict $[*] ? (@.type() != "string")');

COMMENT ON FUNCTION is_string_array(jsonb) IS
    'True when the argument is a JSON array whose elements are all strings.';

-- True when value is a JSON array of real calendar dates written
-- 'YYYY-MM-DD'. The regular expression rejects other shapes; datetime()
-- rejects impossible days such as 2027-02-30 (its error turns the filter
-- unknown, which "is unknown" catches).
CREATE FUNCTION is_date_array(value jsonb)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN jsonb_typeof(value) = 'array'
   AND NOT jsonb_path_exists(
           value,
           'strict $[*] ? (@.type() != "string"'
           ' || !(@ like_regex "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")'
           ' || (exists(@.datetime("YYYY-MM-DD"))) is unknown)');

COMMENT ON FUNCTION is_date_array(jsonb) IS
    'True when the argument is a JSON array of valid ''YYYY-MM-DD'' date strings.';

-- True when point is a non-empty point with finite WGS84 coordinates.
-- PostGIS silently wraps out-of-range geography input (with a NOTICE), so
-- callers must still validate what they send; this catches NaN, infinity
-- and empty points, which would poison distance computations.
CREATE FUNCTION is_valid_location(point geography)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN NOT ST_IsEmpty(point::geometry)
   AND ST_X(point::geometry) BETWEEN -180 AND 180
   AND ST_Y(point::geometry) BETWEEN -90 AND 90;

COMMENT ON FUNCTION is_valid_location(geography) IS
    'True when the argument is a non-empty point with finite longitude in [-180,180] and latitude in [-90,90].';

-- The Otter Trip user the current session acts for, from the setting
-- app.user_id (SET app.user_id = '<uuid>', or SET LOCAL per transaction).
-- NULL when unset or reset to ''; an invalid uuid raises 22P02.
CREATE FUNCTION app_current_user_id()
RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
RETURN nullif(current_setting('app.user_id', true), '')::uuid;

COMMENT ON FUNCTION app_current_user_id() IS
    'The uuid in the setting app.user_id, or NULL when it is unset or empty. Row-level security keys on it.';


-- =============================================================================
-- 2. Tables
-- =============================================================================

-- -----------------------------------------------------------------------------
-- 2.1 User management
-- -----------------------------------------------------------------------------

-- Created before users because users.invitation_code_id references it; the
-- reverse reference (created_by -> users) is added right after users.
CREATE TABLE invitation_codes (
    id              uuid        PRIMARY KEY DEFAULT uuid_generate_v4(),
    code            text        NOT NULL,
    created_by      uuid,
    invitee_email   text,
    description     text,
    max_uses        integer     NOT NULL DEFAULT 1,
    uses_count      integer     NOT NULL DEFAULT 0,
    expires_at      timestamptz,
    is_active       boolean     NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT invitation_codes_code_key UNIQUE (code),
    CONSTRAINT invitation_codes_code_check CHECK (code ~ '^[A-Z0-9_-]{4,64}$'),
    CONSTRAINT invitation_codes_max_uses_check CHECK (max_uses > 0),
    CONSTRAINT invitation_codes_uses_count_check CHECK (uses_count BETWEEN 0 AND max_uses)
);

COMMENT ON TABLE invitation_codes IS
    'Invitation codes that let people sign up; users.invitation_code_id records the one a user used.';

CREATE TABLE users (
    id                  uuid        PRIMARY KEY DEFAULT uuid_generate_v4(),
    email               text        NOT NULL,
    username            text        NOT NULL,
    password_hash       text        NOT NULL,
    first_name          text,
    last_name           text,
    phone               text,
    email_verified      boolean     NOT NULL DEFAULT false,
    email_verified_at   timestamptz,
    phone_verified      boolean     NOT NULL DEFAULT false,
    phone_verified_at   timestamptz,
    avatar_url          text,
    bio                 text,
    date_of_birth       date,
    city                text,
    country             text,
    preferred_language  text        NOT NULL DEFAULT 'en',
    preferred_currency  char(3)     NOT NULL DEFAULT 'USD',
    preferences         jsonb       NOT NULL DEFAULT '{}',
    interests           jsonb       NOT NULL DEFAULT '[]',
    invitation_code_id  uuid        REFERENCES invitation_codes (id) ON DELETE SET NULL,
    last_login_at       timestamptz,
    is_active           boolean     NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_username_key UNIQUE (username),
    CONSTRAINT users_email_check CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    CONSTRAINT users_username_check CHECK (char_length(btrim(username)) BETWEEN 1 AND 100),
    CONSTRAINT users_password_hash_check CHECK (password_hash <> ''),
    CONSTRAINT users_preferred_language_check CHECK (preferred_language ~ '^[a-z]{2}$'),
    CONSTRAINT users_preferred_currency_check CHECK (preferred_currency ~ '^[A-Z]{3}$'),
    CONSTRAINT users_preferences_check CHECK (jsonb_typeof(preferences) = 'object'),
    CONSTRAINT users_interests_check CHECK (jsonb_typeof(interests) IN ('array', 'object')),
    CONSTRAINT users_email_verified_check CHECK (email_verified_at IS NULL OR email_verified),
    CONSTRAINT users_phone_verified_check CHECK (phone_verified_at IS NULL OR phone_verified)
);

COMMENT ON TABLE users IS
    'Every platform user (travelers; leaders also have a tour_leaders row). Soft-deleted through is_active.';
COMMENT ON COLUMN users.password_hash IS 'A password hash (e.g. argon2id); never a plain password.';
COMMENT ON COLUMN users.preferences IS 'Travel preferences, a JSON object.';
COMMENT ON COLUMN users.interests IS 'Interests: a JSON array of names, or an object of name -> weight.';

ALTER TABLE invitation_codes
    ADD CONSTRAINT invitation_codes_created_by_fkey
    FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE SET NULL;

-- A leader's profile extends its user: deleting the user deletes the
-- profile (and cascades to its tours), unless bookings still reference them
-- (bookings RESTRICT), which is why users are soft-deleted in practice.
CREATE TABLE tour_leaders (
    id                  uuid        PRIMARY KEY DEFAULT uuid_generate_v4(),
    user_id             uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type                text        NOT NULL DEFAULT 'leader',
    display_name        text        NOT NULL,
    headline            text,
    bio                 text,
    city                text,
    country             text,
    coordinates         geography(Point, 4326),
    hourly_rate         numeric(10,2),
    currency            char(3)     NOT NULL DEFAULT 'USD',
    personality_traits  jsonb       NOT NULL DEFAULT '{}',
    years_experience    integer,
    response_time_hours integer,
    availability        jsonb       NOT NULL DEFAULT '{}',
    social_links        jsonb       NOT NULL DEFAULT '{}',
    accepts_consultations boolean   NOT NULL DEFAULT true,
    is_verified         boolean     NOT NULL DEFAULT false,
    verified_at         timestamptz,
    average_rating      numeric(3,2) NOT NULL DEFAULT 0,
    total_reviews       integer     NOT NULL DEFAULT 0,
    followers_count     integer     NOT NULL DEFAULT 0,
    videos_count        integer     NOT NULL DEFAULT 0,
    is_active           boolean     NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tour_leaders_user_id_key UNIQUE (user_id),
    CONSTRAINT tour_leaders_type_check CHECK (type IN ('leader', 'expert', 'manager')),
    CONSTRAINT tour_leaders_display_name_check CHECK (btrim(display_name) <> ''),
    CONSTRAINT tour_leaders_coordinates_check CHECK (is_valid_location(coordinates)),
    CONSTRAINT tour_leaders_hourly_rate_check CHECK (hourly_rate >= 0),
    CONSTRAINT tour_leaders_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT tour_leaders_personality_traits_check CHECK (is_valid_traits(personality_traits)),
    CONSTRAINT tour_leaders_years_experience_check CHECK (years_experience BETWEEN 0 AND 100),
    CONSTRAINT tour_leaders_response_time_hours_check CHECK (response_time_hours >= 0),
    CONSTRAINT tour_leaders_availability_check CHECK (jsonb_typeof(availability) = 'object'),
    CONSTRAINT tour_leaders_social_links_check CHECK (jsonb_typeof(social_links) = 'object'),
    CONSTRAINT tour_leaders_verified_at_check CHECK (verified_at IS NULL OR is_verified),
    CONSTRAINT tour_leaders_average_rating_check CHECK (average_rating BETWEEN 0 AND 5),
    CONSTRAINT tour_leaders_total_reviews_check CHECK (total_reviews >= 0),
    CONSTRAINT tour_leaders_followers_count_check CHECK (followers_count >= 0),
    CONSTRAINT tour_leaders_videos_count_check CHECK (videos_count >= 0)
)
WITH (fillfactor = 90);  -- room for HOT updates of the review statistics

COMMENT ON TABLE tour_leaders IS
    'Guides, experts and tour managers; extends users one-to-one.';
COMMENT ON COLUMN tour_leaders.coordinates IS
    'Home base; NULL for leaders who only give online consultations.';
COMMENT ON COLUMN tour_leaders.personality_traits IS
    'Trait object (name -> number in [0,1]) matched against users'' quiz traits; a missing trait counts as 0.5.';
COMMENT ON COLUMN tour_leaders.average_rating IS
    'Maintained by update_leader_stats(): round(avg(rating), 2) over active reviews with review_type = ''leader''; 0 without reviews.';
COMMENT ON COLUMN tour_leaders.total_reviews IS
    'Maintained by update_leader_stats(): count of active reviews with review_type = ''leader''.';

CREATE TABLE leader_languages (
    leader_id       uuid        NOT NULL REFERENCES tour_leaders (id) ON DELETE CASCADE,
    language_code   text        NOT NULL,
    proficiency     text        NOT NULL,
    PRIMARY KEY (leader_id, language_code),
    CONSTRAINT leader_languages_language_code_check CHECK (language_code ~ '^[a-z]{2}$'),
    CONSTRAINT leader_languages_proficiency_check
        CHECK (proficiency IN ('basic', 'conversational', 'fluent', 'native'))
);

COMMENT ON TABLE leader_languages IS 'Languages a leader speaks (ISO 639-1 codes, lower case).';

CREATE TABLE leader_specialties (
    leader_id       uuid        NOT NULL REFERENCES tour_leaders (id) ON DELETE CASCADE,
    specialty       text        NOT NULL,
    PRIMARY KEY (leader_id, specialty),
    CONSTRAINT leader_specialties_specialty_check CHECK (char_length(btrim(specialty)) BETWEEN 1 AND 100)
);

COMMENT ON TABLE leader_specialties IS 'What a leader specializes in (e.g. ''food'', ''hiking'').';

CREATE TABLE certifications (
    id                      uuid        PRIMARY KEY DEFAULT uuid_generate_v4(),
    leader_id               uuid        NOT NULL REFERENCES tour_leaders (id) ON DELETE CASCADE,
    name                    text        NOT NULL,
    issuing_organization    text,
    credential_id           text,
    credential_url          text,
    issued_on               date,
    expires_on              date,
    is_verified             boolean     NOT NULL DEFAULT false,
    verified_at             timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT certifications_name_check CHECK (btrim(name) <> ''),
    CONSTRAINT certifications_dates_check CHECK (expires_on >= issued_on),
    CONSTRAINT certifications_verified_at_check CHECK (verified_at IS NULL OR is_verified)
);

COMMENT ON TABLE certifications IS 'Professional certifications of leaders (first aid, guiding licences...).';

-- -----------------------------------------------------------------------------
-- 2.2 Tours
-- -----------------------------------------------------------------------------

CREATE TABLE tours (
    id                  uuid        PRIMARY KEY DEFAULT uuid_generate_v4(),
    leader_id           uuid        NOT NULL REFERENCES tour_leaders (id) ON DELETE CASCADE,
    title               text        NOT NULL,
    slug                text        NOT NULL,
    description         text,
    short_description   text,
    category            text        NOT NULL,
    tags                jsonb       NOT NULL DEFAULT '[]',
    price               numeric(10,2) NOT NULL,
    currency            char(3)     NOT NULL DEFAULT 'USD',
    duration_days       integer,
    duration_hours      numeric,
    min_participants    integer     NOT NULL DEFAULT 1,
    max_participants    integer,
    difficulty_level    text,
    city                text,
    country             text,
    meeting_point       text,
    coordinates         geography(Point, 4326),
    images              jsonb       NOT NULL DEFAULT '[]',
    inclusions          jsonb       NOT NULL DEFAULT '[]',
    exclusions          jsonb       NOT NULL DEFAULT '[]',
    availability_start  date,
    availability_end    date,
    blackout_dates      jsonb       NOT NULL DEFAULT '[]',
    cancellation_policy text,
    is_featured         boolean     NOT NULL DEFAULT false,
    total_reviews       integer     NOT NULL DEFAULT 0,
    average_rating      numeric(3,2) NOT NULL DEFAULT 0,
    is_active           boolean     NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tours_slug_key UNIQUE (slug),
    CONSTRAINT tours_title_check CHECK (btrim(title) <> ''),
    CONSTRAINT tours_slug_check CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    CONSTRAINT tours_category_check CHECK (btrim(category) <> ''),
    CONSTRAINT tours_tags_check CHECK (is_string_array(tags)),
    CONSTRAINT tours_price_check CHECK (price >= 0),
    CONSTRAINT tours_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT tours_duration_days_check CHECK (duration_days >= 0),
    CONSTRAINT tours_duration_hours_check CHECK (duration_hours >= 0),
    CONSTRAINT tours_participants_check
        CHECK (min_participants >= 1 AND (max_participants IS NULL OR max_participants >= min_participants)),
    CONSTRAINT tours_difficulty_level_check
        CHECK (difficulty_level IN ('easy', 'moderate', 'challenging', 'difficult', 'extreme')),
    CONSTRAINT tours_coordinates_check CHECK (is_valid_location(coordinates)),
    CONSTRAINT tours_images_check CHECK (jsonb_typeof(images) = 'array'),
    CONSTRAINT tours_inclusions_check CHECK (jsonb_typeof(inclusions) = 'array'),
    CONSTRAINT tours_exclusions_check CHECK (jsonb_typeof(exclusions) = 'array'),
    CONSTRAINT tours_availability_check CHECK (availability_end >= availability_start),
    CONSTRAINT tours_blackout_dates_check CHECK (is_date_array(blackout_dates)),
    CONSTRAINT tours_average_rating_check CHECK (average_rating BETWEEN 0 AND 5),
    CONSTRAINT tours_total_reviews_check CHECK (total_reviews >= 0)
)
WITH (fillfactor = 90);  -- room for HOT updates of the review statistics

COMMENT ON TABLE tours IS 'Tour packages offered by leaders. Soft-deleted through is_active.';
COMMENT ON COLUMN tours.tags IS 'JSON array of strings.';
COMMENT ON COLUMN tours.max_participants IS 'Group size limit; NULL means no fixed limit (schedules carry their own).';
COMMENT ON COLUMN tours.coordinates IS 'Meeting point; NULL for virtual tours.';
COMMENT ON COLUMN tours.blackout_dates IS 'JSON array of ''YYYY-MM-DD'' dates inside the availability window when the tour does not run.';
COMMENT ON COLUMN tours.average_rating IS
    'Maintained by update_tour_stats(): round(avg(rating), 2) over active reviews of the tour; 0 without reviews.';
COMMENT ON COLUMN tours.total_reviews IS 'Maintained by update_tour_stats(): count of active reviews of the tour.';

CREATE TABLE tour_itinerary (
    id              uuid        PRIMARY KEY DEFAULT uuid_generate_v4(),
    tour_id         uuid        NOT NULL REFERENCES tours (id) ON DELETE CASCADE,
    day_number      integer     NOT NULL,
    title           text        NOT NULL,
    description     text,
    location        text,
    activities      jsonb       NOT NULL DEFAULT '[]',
    meals           jsonb       NOT NULL DEFAULT '[]',
    accommodation   text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT tour_itinerary_tour_day_key UNIQUE (tour_id, day_number),
    CONSTRAINT tour_itinerary_day_number_check CHECK (day_number >= 1),
    CONSTRAINT tour_itinerary_title_check CHECK (btrim(title) <> ''),
    CONSTRAINT tour_itinerary_activities_check CHECK (jsonb_typeof(activities) = 'array'),
    CONSTRAINT tour_itinerary_meals_check CHECK (jsonb_typeof(meals) = 'array')
);

COMMENT ON TABLE tour_itinerary IS 'Day-by-day breakdown of a tour, one row per day.';

CREATE TABLE tour_schedules (
    id                      uuid        PRIMARY KEY DEFAULT uuid_generate_v4(),
    tour_id                 uuid        NOT NULL REFERENCES tours (id) ON DELETE CASCADE,
    start_date              date        NOT NULL,
    end_date                date        NOT NULL,
    max_participants        integer     NOT NULL,
    current_participants    integer     NOT NULL DEFAULT 0,
    status                  text        NOT NULL DEFAULT 'open',
    price_override          numeric(10,2),
    notes                   text,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    -- Target of bookings' composite foreign key, which guarantees that a
    -- booking's schedule belongs to the booking's tour.
    CONSTRAINT tour_schedules_id_tour_id_key UNIQUE (id, tour_id),
    CONSTRAINT tour_schedules_dates_check CHECK (end_date >= start_date),
    CONSTRAINT tour_schedules_max_participants_check CHECK (max_participants > 0),
    CONSTRAINT tour_schedules_current_participants_check
        CHECK (current_participants >= 0 AND current_participants <= max_participants),
    CONSTRAINT tour_schedules_status_check CHECK (status IN ('open', 'full', 'cancelled', 'completed')),
    CONSTRAINT tour_schedules_price_override_check CHECK (price_override >= 0)
);

COMMENT ON TABLE tour_schedules IS
    'Dated departures of a tour. current_participants is kept by the booking transaction of the API.';

-- -----------------------------------------------------------------------------
-- 2.3 Promotions, bookings and payments
-- -----------------------------------------------------------------------------

CREATE TABLE promo_codes (
    id                  uuid        PRIMARY KEY DEFAULT uuid_generate_v4(),
    code                text        NOT NULL,
    description         text,
    discount_type       text        NOT NULL,
    discount_value      numeric(10,2) NOT NULL,
    currency            char(3),
    min_order_amount    numeric(10,2),
    max_discount_amount numeric(10,2),
    max_uses            integer,
    max_uses_per_user   integer,
    uses_count          integer     NOT NULL DEFAULT 0,
    leader_id           uuid        REFERENCES tour_leaders (id) ON DELETE CASCADE,
    tour_id             uuid        REFERENCES tours (id) ON DELETE CASCADE,
    valid_from          timestamptz NOT NULL DEFAULT now(),
    valid_until         timestamptz,
    created_by          uuid        REFERENCES users (id) ON DELETE SET NULL,
    is_active           boolean     NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT promo_codes_code_key UNIQUE (code),
    CONSTRAINT promo_codes_code_check CHECK (code ~ '^[A-Z0-9_-]{3,64}$'),
    CONSTRAINT promo_codes_discount_type_check CHECK (discount_type IN ('percentage', 'fixed_amount')),
    CONSTRAINT promo_codes_discount_value_check
        CHECK (discount_value > 0 AND (discount_type <> 'percentage' OR discount_value <= 100)),
    -- A fixed amount is meaningless without its currency.
    CONSTRAINT promo_codes_currency_check CHECK (
        CASE WHEN currency IS NULL THEN discount_type = 'percentage' ELSE currency ~ '^[A-Z]{3}$' END),
    CONSTRAINT promo_codes_min_order_amount_check CHECK (min_order_amount >= 0),
    CONSTRAINT promo_codes_max_discount_amount_check CHECK (max_discount_amount > 0),
    CONSTRAINT promo_codes_max_uses_check CHECK (max_uses > 0),
    CONSTRAINT promo_codes_max_uses_per_user_check CHECK (max_uses_per_user > 0),
    CONSTRAINT promo_codes_uses_count_check CHECK (uses_count >= 0 AND (max_uses IS NULL OR uses_count <= max_uses)),
    CONSTRAINT promo_codes_validity_check CHECK (valid_until > valid_from)
);

COMMENT ON TABLE promo_codes IS
    'Discount codes, platform-wide or limited to one leader or tour. uses_count is kept by the booking transaction of the API.';

CREATE TABLE bookings (
    id                      uuid        PRIMARY KEY DEFAULT uuid_generate_v4(),
    user_id                 uuid        NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    booking_type            text        NOT NULL DEFAULT 'tour',
    tour_id                 uuid        REFERENCES tours (id) ON DELETE RESTRICT,
    schedule_id             uuid,
    -- Filled from the tour by set_booking_leader() for tour bookings, so
    -- that every booking names the leader it was made with.
    leader_id               uuid        NOT NULL REFERENCES tour_leaders (id) ON DELETE RESTRICT,
    status                  text        NOT NULL DEFAULT 'pending',
    start_date              date,
    end_date                date,
    scheduled_at            timestamptz,
    duration_minutes        integer,
    participants            integer     NOT NULL DEFAULT 1,
    guest_details           jsonb       NOT NULL DEFAULT '[]',
    contact_email           text,
    contact_phone           text,
    special_requests        text,
    currency                char(3)     NOT NULL DEFAULT 'USD',
    total_amount            numeric(10,2) NOT NULL,
    discount_amount         numeric(10,2) NOT NULL DEFAULT 0,
    promo_code_id           uuid        REFERENCES promo_codes (id) ON DELETE RESTRICT,
    confirmed_at            timestamptz,
    completed_at            timestamptz,
    cancelled_at            timestamptz,
    cancelled_by            uuid        REFERENCES users (id) ON DELETE SET NULL,
    cancellation_reason     text,
    refund_amount           numeric(10,2),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT bookings_schedule_fkey FOREIGN KEY (schedule_id, tour_id)
        REFERENCES tour_schedules (id, tour_id) ON DELETE RESTRICT,
    CONSTRAINT bookings_booking_type_check CHECK (booking_type IN ('tour', 'consultation')),
    -- Polymorphic row: a tour booking names its tour; a consultation is with
    -- a leader only and has neither tour nor schedule.
    CONSTRAINT bookings_target_check CHECK (
        (booking_type = 'tour' AND tour_id IS NOT NULL)
        OR (booking_type = 'consultation' AND tour_id IS NULL AND schedule_id IS NULL)),
    CONSTRAINT bookings_status_check
        CHECK (status IN ('pending', 'confirmed', 'cancelled', 'completed', 'refunded')),
    CONSTRAINT bookings_dates_check CHECK (end_date >= start_date),
    CONSTRAINT bookings_duration_minutes_check CHECK (duration_minutes > 0),
    CONSTRAINT bookings_participants_check CHECK (participants >= 1),
    CONSTRAINT bookings_guest_details_check CHECK (jsonb_typeof(guest_details) IN ('array', 'object')),
    CONSTRAINT bookings_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT bookings_total_amount_check CHECK (total_amount >= 0),
    CONSTRAINT bookings_discount_amount_check CHECK (discount_amount >= 0),
    CONSTRAINT bookings_refund_amount_check CHECK (refund_amount >= 0 AND refund_amount <= total_amount)
);

COMMENT ON TABLE bookings IS
    'Tour and consultation bookings. Never deleted by the application: cancel instead (financial history).';
COMMENT ON COLUMN bookings.guest_details IS 'Guests travelling on this booking (JSON array of objects, or one object).';
COMMENT ON COLUMN bookings.total_amount IS 'Amount due after discount_amount, in currency.';

CREATE TABLE payments (
    id                  uuid        PRIMARY KEY DEFAULT uuid_generate_v4(),
    booking_id          uuid        NOT NULL REFERENCES bookings (id) ON DELETE RESTRICT,
    amount              numeric(10,2) NOT NULL,
    currency            char(3)     NOT NULL DEFAULT 'USD',
    method              text        NOT NULL,
    provider            text,
    external_id         text,
    status              text        NOT NULL DEFAULT 'pending',
    refunded_amount     numeric(10,2) NOT NULL DEFAULT 0,
    failure_reason      text,
    metadata            jsonb       NOT NULL DEFAULT '{}',
    paid_at             timestamptz,
    refunded_at         timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payments_amount_check CHECK (amount > 0),
    CONSTRAINT payments_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT payments_method_check CHECK (method IN ('card', 'paypal', 'bank_transfer', 'crypto')),
    CONSTRAINT payments_status_check CHECK (status IN
        ('pending', 'processing', 'completed', 'failed', 'cancelled', 'refunded', 'partially_refunded')),
    CONSTRAINT payments_refunded_amount_check CHECK (refunded_amount BETWEEN 0 AND amount),
    CONSTRAINT payments_external_id_check CHECK (external_id IS NULL OR provider IS NOT NULL),
    CONSTRAINT payments_metadata_check CHECK (jsonb_typeof(metadata) = 'object')
);

COMMENT ON TABLE payments IS
    'Payment transactions of bookings, provider-agnostic: provider names the processor, external_id its transaction id.';

-- -----------------------------------------------------------------------------
-- 2.4 Content: stories and likes
-- -----------------------------------------------------------------------------

CREATE TABLE travel_stories (
    id                  uuid        PRIMARY KEY DEFAULT uuid_generate_v4(),
    user_id             uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tour_id             uuid        REFERENCES tours (id) ON DELETE SET NULL,
    leader_id           uuid        REFERENCES tour_leaders (id) ON DELETE SET NULL,
    title               text        NOT NULL,
    slug                text        NOT NULL,
    excerpt             text,
    content             text        NOT NULL DEFAULT '',
    cover_image_url     text,
    media               jsonb       NOT NULL DEFAULT '[]',
    tags                jsonb       NOT NULL DEFAULT '[]',
    city                text,
    country             text,
    personality_traits  jsonb       NOT NULL DEFAULT '{}',
    status              text        NOT NULL DEFAULT 'draft',
    published_at        timestamptz,
    reading_time_minutes integer,
    views_count         integer     NOT NULL DEFAULT 0,
    likes_count         integer     NOT NULL DEFAULT 0,
    shares_count        integer     NOT NULL DEFAULT 0,
    is_featured         boolean     NOT NULL DEFAULT false,
    is_active           boolean     NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT travel_stories_slug_key UNIQUE (slug),
    CONSTRAINT travel_stories_title_check CHECK (btrim(title) <> ''),
    CONSTRAINT travel_stories_slug_check CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    CONSTRAINT travel_stories_media_check CHECK (jsonb_typeof(media) = 'array'),
    CONSTRAINT travel_stories_tags_check CHECK (is_string_array(tags)),
    CONSTRAINT travel_stories_personality_traits_check CHECK (is_valid_traits(personality_traits)),
    CONSTRAINT travel_stories_status_check CHECK (status IN ('draft', 'published', 'archived')),
    -- set_story_published_at() stamps published_at on publication.
    CONSTRAINT travel_stories_published_at_check CHECK (status <> 'published' OR published_at IS NOT NULL),
    CONSTRAINT travel_stories_reading_time_check CHECK (reading_time_minutes > 0),
    CONSTRAINT travel_stories_counts_check CHECK (views_count >= 0 AND likes_count >= 0 AND shares_count >= 0)
);

COMMENT ON TABLE travel_stories IS 'User-written travel stories (draft -> published -> archived).';
COMMENT ON COLUMN travel_stories.likes_count IS 'Maintained by update_story_likes_count() from story_likes.';

CREATE TABLE story_likes (
    story_id        uuid        NOT NULL REFERENCES travel_stories (id) ON DELETE CASCADE,
    user_id         uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (story_id, user_id)
);

COMMENT ON TABLE story_likes IS 'One like per (story, user).';

-- -----------------------------------------------------------------------------
-- 2.5 Reviews
-- -----------------------------------------------------------------------------

CREATE TABLE reviews (
    id                      uuid        PRIMARY KEY DEFAULT uuid_generate_v4(),
    user_id                 uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    booking_id              uuid        REFERENCES bookings (id) ON DELETE SET NULL,
    review_type             text        NOT NULL,
    tour_id                 uuid        REFERENCES tours (id) ON DELETE CASCADE,
    leader_id               uuid        REFERENCES tour_leaders (id) ON DELETE CASCADE,
    rating                  integer     NOT NULL,
    title                   text,
    content                 text,
    value_rating            integer,
    communication_rating    integer,
    knowledge_rating        integer,
    organization_rating     integer,
    media                   jsonb       NOT NULL DEFAULT '[]',
    -- Derived by set_review_verified_booking(): true only when booking_id is
    -- a completed booking of the reviewer for the reviewed tour or leader.
    is_verified_booking     boolean     NOT NULL DEFAULT false,
    owner_response          text,
    owner_responded_at      timestamptz,
    helpful_count           integer     NOT NULL DEFAULT 0,
    is_active               boolean     NOT NULL DEFAULT true,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reviews_review_type_check CHECK (review_type IN ('tour', 'leader')),
    -- Polymorphic row: exactly the target its type names.
    CONSTRAINT reviews_target_check CHECK (
        (review_type = 'tour' AND tour_id IS NOT NULL AND leader_id IS NULL)
        OR (review_type = 'leader' AND leader_id IS NOT NULL AND tour_id IS NULL)),
    CONSTRAINT reviews_rating_check CHECK (rating BETWEEN 1 AND 5),
    CONSTRAINT reviews_category_ratings_check CHECK (
        (value_rating BETWEEN 1 AND 5) IS NOT FALSE
        AND (communication_rating BETWEEN 1 AND 5) IS NOT FALSE
        AND (knowledge_rating BETWEEN 1 AND 5) IS NOT FALSE
        AND (organization_rating BETWEEN 1 AND 5) IS NOT FALSE),
    CONSTRAINT reviews_media_check CHECK (jsonb_typeof(media) = 'array'),
    CONSTRAINT reviews_owner_response_check CHECK (owner_responded_at IS NULL OR owner_response IS NOT NULL),
    CONSTRAINT reviews_helpful_count_check CHECK (helpful_count >= 0)
);

COMMENT ON TABLE reviews IS
    'Polymorphic reviews of a tour (review_type = ''tour'', tour_id) or of a leader (review_type = ''leader'', leader_id). '
    'Only active reviews count towards tours'' and leaders'' statistics.';

-- -----------------------------------------------------------------------------
-- 2.6 Favorites, messages, notifications
-- -----------------------------------------------------------------------------

CREATE TABLE user_favorites (
    id              uuid        PRIMARY KEY DEFAULT uuid_generate_v4(),
    user_id         uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    favorite_type   text        NOT NULL,
    tour_id         uuid        REFERENCES tours (id) ON DELETE CASCADE,
    leader_id       uuid        REFERENCES tour_leaders (id) ON DELETE CASCADE,
    story_id        uuid        REFERENCES travel_stories (id) ON DELETE CASCADE,
    notes           text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_favorites_favorite_type_check CHECK (favorite_type IN ('tour', 'leader', 'story')),
    -- Polymorphic row: exactly one target, the one its type names.
    CONSTRAINT user_favorites_target_check CHECK (
        (favorite_type = 'tour' AND tour_id IS NOT NULL AND leader_id IS NULL AND story_id IS NULL)
        OR (favorite_type = 'leader' AND leader_id IS NOT NULL AND tour_id IS NULL AND story_id IS NULL)
        OR (favorite_type = 'story' AND story_id IS NOT NULL AND tour_id IS NULL AND leader_id IS NULL))
);

COMMENT ON TABLE user_favorites IS 'A user''s saved tours, leaders and stories; one row per (user, target).';

CREATE TABLE messages (
    id                      uuid        PRIMARY KEY DEFAULT uuid_generate_v4(),
    sender_id               uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    recipient_id            uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    booking_id              uuid        REFERENCES bookings (id) ON DELETE SET NULL,
    parent_message_id       uuid        REFERENCES messages (id) ON DELETE SET NULL,
    subject                 text,
    content                 text        NOT NULL,
    attachments             jsonb       NOT NULL DEFAULT '[]',
    is_read                 boolean     NOT NULL DEFAULT false,
    read_at                 timestamptz,
    deleted_by_sender       boolean     NOT NULL DEFAULT false,
    deleted_by_recipient    boolean     NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT messages_participants_check CHECK (sender_id <> recipient_id),
    CONSTRAINT messages_parent_check CHECK (parent_message_id <> id),
    CONSTRAINT messages_content_check CHECK (btrim(content) <> ''),
    CONSTRAINT messages_attachments_check CHECK (jsonb_typeof(attachments) = 'array'),
    CONSTRAINT messages_read_at_check CHECK (read_at IS NULL OR is_read)
);

COMMENT ON TABLE messages IS
    'Direct messages between users (travelers and leaders), threaded by parent_message_id, optionally about a booking.';

CREATE TABLE notifications (
    id              uuid        PRIMARY KEY DEFAULT uuid_generate_v4(),
    user_id         uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type            text        NOT NULL,
    channel         text        NOT NULL DEFAULT 'in_app',
    priority        text        NOT NULL DEFAULT 'normal',
    title           text        NOT NULL,
    body            text,
    data            jsonb       NOT NULL DEFAULT '{}',
    action_url      text,
    is_read         boolean     NOT NULL DEFAULT false,
    read_at         timestamptz,
    expires_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notifications_type_check CHECK (type IN (
        'booking_created', 'booking_confirmed', 'booking_cancelled', 'booking_reminder', 'booking_completed',
        'payment_received', 'payment_failed', 'payment_refunded',
        'new_message', 'new_review', 'review_response', 'new_follower', 'story_liked',
        'match_found', 'promotion', 'system')),
    CONSTRAINT notifications_channel_check CHECK (channel IN ('in_app', 'email', 'push', 'sms')),
    CONSTRAINT notifications_priority_check CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    CONSTRAINT notifications_title_check CHECK (btrim(title) <> ''),
    CONSTRAINT notifications_data_check CHECK (jsonb_typeof(data) = 'object'),
    CONSTRAINT notifications_read_at_check CHECK (read_at IS NULL OR is_read)
);

COMMENT ON TABLE notifications IS 'System notifications and alerts for one user.';

-- -----------------------------------------------------------------------------
-- 2.7 Search
-- -----------------------------------------------------------------------------

CREATE TABLE search_history (
    id                  uuid        PRIMARY KEY DEFAULT uuid_generate_v4(),
    -- NULL for anonymous searches; kept (anonymized) when the user is deleted.
    user_id             uuid        REFERENCES users (id) ON DELETE SET NULL,
    session_id          text,
    search_type         text        NOT NULL DEFAULT 'tours',
    query               text,
    filters             jsonb       NOT NULL DEFAULT '{}',
    results_count       integer,
    clicked_result_id   uuid,
    took_us             integer,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT search_history_search_type_check CHECK (search_type IN ('tours', 'leaders')),
    CONSTRAINT search_history_query_check CHECK (char_length(query) <= 1000),
    CONSTRAINT search_history_filters_check CHECK (jsonb_typeof(filters) = 'object'),
    CONSTRAINT search_history_results_count_check CHECK (results_count >= 0),
    CONSTRAINT search_history_took_us_check CHECK (took_us >= 0)
);

COMMENT ON TABLE search_history IS
    'Searches performed (text, filters incl. location), written in batches by otterd and by the API.';

CREATE TABLE popular_searches (
    id                  uuid        PRIMARY KEY DEFAULT uuid_generate_v4(),
    search_type         text        NOT NULL DEFAULT 'tours',
    query               text        NOT NULL,
    search_count        bigint      NOT NULL DEFAULT 1,
    last_results_count  integer,
    last_searched_at    timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT popular_searches_type_query_key UNIQUE (search_type, query),
    CONSTRAINT popular_searches_search_type_check CHECK (search_type IN ('tours', 'leaders')),
    CONSTRAINT popular_searches_query_check CHECK (char_length(btrim(query)) BETWEEN 1 AND 200),
    CONSTRAINT popular_searches_search_count_check CHECK (search_count >= 0),
    CONSTRAINT popular_searches_last_results_count_check CHECK (last_results_count >= 0)
);

COMMENT ON TABLE popular_searches IS
    'Aggregated search counts per normalized query, upserted by otterd; a source of search suggestions.';

-- -----------------------------------------------------------------------------
-- 2.8 Personality matching
-- -----------------------------------------------------------------------------

CREATE TABLE personality_types (
    id              uuid        PRIMARY KEY DEFAULT uuid_generate_v4(),
    code            text        NOT NULL,
    name            text        NOT NULL,
    description     text,
    traits          jsonb       NOT NULL,
    icon            text,
    display_order   integer     NOT NULL DEFAULT 0,
    is_active       boolean     NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT personality_types_code_key UNIQUE (code),
    CONSTRAINT personality_types_code_check CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    CONSTRAINT personality_types_name_check CHECK (btrim(name) <> ''),
    CONSTRAINT personality_types_traits_check CHECK (is_valid_traits(traits) AND traits <> '{}')
);

COMMENT ON TABLE personality_types IS
    'Traveler personality profiles. Their traits objects define the canonical trait names.';

CREATE TABLE user_quiz_results (
    id                  uuid        PRIMARY KEY DEFAULT uuid_generate_v4(),
    user_id             uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    personality_type_id uuid        REFERENCES personality_types (id) ON DELETE SET NULL,
    quiz_version        integer     NOT NULL DEFAULT 1,
    answers             jsonb       NOT NULL DEFAULT '{}',
    traits              jsonb       NOT NULL,
    started_at          timestamptz,
    completed_at        timestamptz NOT NULL DEFAULT now(),
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT user_quiz_results_quiz_version_check CHECK (quiz_version >= 1),
    CONSTRAINT user_quiz_results_answers_check CHECK (jsonb_typeof(answers) IN ('object', 'array')),
    -- Non-empty: a user's current traits feed otter_compatibility(), for which
    -- an empty user trait object is an error.
    CONSTRAINT user_quiz_results_traits_check CHECK (is_valid_traits(traits) AND traits <> '{}'),
    CONSTRAINT user_quiz_results_started_at_check CHECK (started_at <= completed_at)
);

COMMENT ON TABLE user_quiz_results IS
    'Completed personality quizzes. A user''s current traits are those of the latest row by completed_at (see user_current_traits).';

CREATE TABLE personality_match_scores (
    user_id         uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    leader_id       uuid        NOT NULL REFERENCES tour_leaders (id) ON DELETE CASCADE,
    score           numeric(5,2) NOT NULL,
    computed_at     timestamptz NOT NULL DEFAULT now(),
    -- The contract's UNIQUE (user_id, leader_id), as the primary key: the
    -- recompute job writes tens of millions of rows, so no surrogate id and
    -- no second unique index.
    CONSTRAINT personality_match_scores_pkey PRIMARY KEY (user_id, leader_id),
    CONSTRAINT personality_match_scores_score_check CHECK (score BETWEEN 0 AND 100)
);

COMMENT ON TABLE personality_match_scores IS
    'Cached otter_compatibility(user traits, leader traits) rounded to 2 decimals, top K leaders per user, written by otterd.';

-- The definition of "a user's current traits": the latest quiz result by
-- completed_at; ties (same completed_at) go to the latest created_at, then
-- the greatest id, so that every reader picks the same row.
CREATE VIEW user_current_traits AS
SELECT DISTINCT ON (q.user_id)
       q.user_id,
       q.id AS quiz_result_id,
       q.personality_type_id,
       q.traits,
       q.completed_at
FROM user_quiz_results AS q
ORDER BY q.user_id, q.completed_at DESC, q.created_at DESC, q.id DESC;

COMMENT ON VIEW user_current_traits IS
    'One row per user who completed a quiz: the traits of their latest user_quiz_results row.';


-- =============================================================================
-- 3. Indexes
-- =============================================================================
-- Naming: idx_<table>_<columns>[_<qualifier>]. Unique constraints above
-- already index email, username, slugs, codes and the composite keys.
--
-- Deliberately not indexed: tours' and tour_leaders' total_reviews and
-- average_rating. Every review write rewrites them; left unindexed (and
-- with fillfactor 90) that rewrite is a HOT update that touches none of the
-- GiST/GIN/B-tree indexes. Sorting by rating is otterd's job.

-- users
CREATE UNIQUE INDEX idx_users_email_lower ON users (lower(email));  -- case-insensitive uniqueness
CREATE INDEX idx_users_invitation_code_id ON users (invitation_code_id) WHERE invitation_code_id IS NOT NULL;
CREATE INDEX idx_users_created_at ON users (created_at);
CREATE INDEX idx_users_preferences ON users USING gin (preferences jsonb_path_ops);
CREATE INDEX idx_users_interests ON users USING gin (interests);

-- invitation_codes
CREATE INDEX idx_invitation_codes_created_by ON invitation_codes (created_by) WHERE created_by IS NOT NULL;
CREATE INDEX idx_invitation_codes_expires_at_active ON invitation_codes (expires_at) WHERE is_active;

-- tour_leaders (user_id is indexed by its unique constraint)
CREATE INDEX idx_tour_leaders_coordinates ON tour_leaders USING gist (coordinates);
CREATE INDEX idx_tour_leaders_personality_traits ON tour_leaders USING gin (personality_traits jsonb_path_ops);
CREATE INDEX idx_tour_leaders_type_active ON tour_leaders (type) WHERE is_active;
CREATE INDEX idx_tour_leaders_country_city_active ON tour_leaders (country, city) WHERE is_active;
CREATE INDEX idx_tour_leaders_verified_active ON tour_leaders (country, city) WHERE is_active AND is_verified;

-- leader_languages / leader_specialties (leader_id leads their primary keys)
CREATE INDEX idx_leader_languages_language_code ON leader_languages (language_code, proficiency);
CREATE INDEX idx_leader_specialties_specialty ON leader_specialties (specialty);

-- certifications
CREATE INDEX idx_certifications_leader_id ON certifications (leader_id);
CREATE INDEX idx_certifications_expires_on ON certifications (expires_on) WHERE expires_on IS NOT NULL;

-- tours
CREATE INDEX idx_tours_leader_id ON tours (leader_id);
CREATE INDEX idx_tours_coordinates ON tours USING gist (coordinates);
CREATE INDEX idx_tours_tags ON tours USING gin (tags);
CREATE INDEX idx_tours_category_active ON tours (category) WHERE is_active;
CREATE INDEX idx_tours_price_active ON tours (price) WHERE is_active;
CREATE INDEX idx_tours_country_city_active ON tours (country, city) WHERE is_active;
CREATE INDEX idx_tours_created_at_active ON tours (created_at DESC) WHERE is_active;
CREATE INDEX idx_tours_availability_active ON tours (availability_start, availability_end) WHERE is_active;
CREATE INDEX idx_tours_featured ON tours (created_at DESC) WHERE is_active AND is_featured;

-- tour_itinerary: (tour_id, day_number) unique constraint covers tour_id.

-- tour_schedules
CREATE INDEX idx_tour_schedules_tour_id_start_date ON tour_schedules (tour_id, start_date);
CREATE INDEX idx_tour_schedules_start_date_open ON tour_schedules (start_date, end_date) WHERE status = 'open';
CREATE INDEX idx_tour_schedules_status ON tour_schedules (status);

-- promo_codes
CREATE INDEX idx_promo_codes_leader_id ON promo_codes (leader_id) WHERE leader_id IS NOT NULL;
CREATE INDEX idx_promo_codes_tour_id ON promo_codes (tour_id) WHERE tour_id IS NOT NULL;
CREATE INDEX idx_promo_codes_created_by ON promo_codes (created_by) WHERE created_by IS NOT NULL;
CREATE INDEX idx_promo_codes_valid_until_active ON promo_codes (valid_until) WHERE is_active;

-- bookings
CREATE INDEX idx_bookings_user_id_created_at ON bookings (user_id, created_at DESC);
CREATE INDEX idx_bookings_leader_id_status ON bookings (leader_id, status);
CREATE INDEX idx_bookings_tour_id ON bookings (tour_id) WHERE tour_id IS NOT NULL;
CREATE INDEX idx_bookings_schedule_id ON bookings (schedule_id) WHERE schedule_id IS NOT NULL;
CREATE INDEX idx_bookings_promo_code_id ON bookings (promo_code_id) WHERE promo_code_id IS NOT NULL;
CREATE INDEX idx_bookings_cancelled_by ON bookings (cancelled_by) WHERE cancelled_by IS NOT NULL;
CREATE INDEX idx_bookings_status_created_at ON bookings (status, created_at DESC);
CREATE INDEX idx_bookings_start_date ON bookings (start_date) WHERE start_date IS NOT NULL;
CREATE INDEX idx_bookings_scheduled_at ON bookings (scheduled_at) WHERE scheduled_at IS NOT NULL;

-- payments
CREATE INDEX idx_payments_booking_id ON payments (booking_id);
CREATE INDEX idx_payments_status_created_at ON payments (status, created_at DESC);
CREATE UNIQUE INDEX idx_payments_provider_external_id ON payments (provider, external_id)
    WHERE external_id IS NOT NULL;  -- a provider's transaction is recorded once

-- travel_stories
CREATE INDEX idx_travel_stories_user_id ON travel_stories (user_id);
CREATE INDEX idx_travel_stories_tour_id ON travel_stories (tour_id) WHERE tour_id IS NOT NULL;
CREATE INDEX idx_travel_stories_leader_id ON travel_stories (leader_id) WHERE leader_id IS NOT NULL;
CREATE INDEX idx_travel_stories_published ON travel_stories (published_at DESC)
    WHERE is_active AND status = 'published';
CREATE INDEX idx_travel_stories_tags ON travel_stories USING gin (tags);
CREATE INDEX idx_travel_stories_personality_traits ON travel_stories USING gin (personality_traits jsonb_path_ops);

-- story_likes: (story_id, user_id) primary key covers story_id.
CREATE INDEX idx_story_likes_user_id ON story_likes (user_id);

-- reviews. The full single-column indexes serve foreign-key cascades; the
-- partial ones the listings and the statistics aggregates (active only).
CREATE INDEX idx_reviews_user_id ON reviews (user_id);
CREATE INDEX idx_reviews_booking_id ON reviews (booking_id) WHERE booking_id IS NOT NULL;
CREATE INDEX idx_reviews_tour_id ON reviews (tour_id) WHERE tour_id IS NOT NULL;
CREATE INDEX idx_reviews_leader_id ON reviews (leader_id) WHERE leader_id IS NOT NULL;
CREATE INDEX idx_reviews_tour_id_active ON reviews (tour_id, created_at DESC) INCLUDE (rating)
    WHERE is_active AND tour_id IS NOT NULL;
CREATE INDEX idx_reviews_leader_id_active ON reviews (leader_id, created_at DESC) INCLUDE (rating)
    WHERE is_active AND leader_id IS NOT NULL;
-- One active review per booking and target type.
CREATE UNIQUE INDEX idx_reviews_booking_type_active ON reviews (booking_id, review_type)
    WHERE is_active AND booking_id IS NOT NULL;

-- user_favorites: one favorite per (user, target), plus target lookups for
-- cascades and "who saved this" counts.
CREATE UNIQUE INDEX idx_user_favorites_user_tour ON user_favorites (user_id, tour_id) WHERE tour_id IS NOT NULL;
CREATE UNIQUE INDEX idx_user_favorites_user_leader ON user_favorites (user_id, leader_id) WHERE leader_id IS NOT NULL;
CREATE UNIQUE INDEX idx_user_favorites_user_story ON user_favorites (user_id, story_id) WHERE story_id IS NOT NULL;
CREATE INDEX idx_user_favorites_user_id_created_at ON user_favorites (user_id, created_at DESC);
CREATE INDEX idx_user_favorites_tour_id ON user_favorites (tour_id) WHERE tour_id IS NOT NULL;
CREATE INDEX idx_user_favorites_leader_id ON user_favorites (leader_id) WHERE leader_id IS NOT NULL;
CREATE INDEX idx_user_favorites_story_id ON user_favorites (story_id) WHERE story_id IS NOT NULL;

-- messages
CREATE INDEX idx_messages_sender_id_created_at ON messages (sender_id, created_at DESC);
CREATE INDEX idx_messages_recipient_id_created_at ON messages (recipient_id, created_at DESC);
CREATE INDEX idx_messages_recipient_id_unread ON messages (recipient_id) WHERE NOT is_read;
CREATE INDEX idx_messages_booking_id ON messages (booking_id) WHERE booking_id IS NOT NULL;
CREATE INDEX idx_messages_parent_message_id ON messages (parent_message_id) WHERE parent_message_id IS NOT NULL;

-- notifications
CREATE INDEX idx_notifications_user_id_created_at ON notifications (user_id, created_at DESC);
CREATE INDEX idx_notifications_user_id_unread ON notifications (user_id, created_at DESC) WHERE NOT is_read;
CREATE INDEX idx_notifications_expires_at ON notifications (expires_at) WHERE expires_at IS NOT NULL;

-- search_history
CREATE INDEX idx_search_history_user_id_created_at ON search_history (user_id, created_at DESC)
    WHERE user_id IS NOT NULL;
CREATE INDEX idx_search_history_created_at ON search_history (created_at);  -- retention pruning

-- popular_searches: (search_type, query) unique constraint serves upserts.
CREATE INDEX idx_popular_searches_count ON popular_searches (search_type, search_count DESC);
CREATE INDEX idx_popular_searches_query_prefix ON popular_searches (query text_pattern_ops);  -- LIKE 'pre%'

-- user_quiz_results: matches the ORDER BY of user_current_traits.
CREATE INDEX idx_user_quiz_results_user_latest ON user_quiz_results
    (user_id, completed_at DESC, created_at DESC, id DESC);
CREATE INDEX idx_user_quiz_results_personality_type_id ON user_quiz_results (personality_type_id)
    WHERE personality_type_id IS NOT NULL;

-- personality_match_scores: the primary key leads with user_id (a user's K
-- rows are read and sorted cheaply); leader_id serves cascades. No
-- (user_id, score) index: it would slow the bulk write-back for no gain at
-- K = 50 rows per user.
CREATE INDEX idx_personality_match_scores_leader_id ON personality_match_scores (leader_id);


-- =============================================================================
-- 4. Trigger functions and triggers
-- =============================================================================

-- -----------------------------------------------------------------------------
-- 4.1 updated_at
-- -----------------------------------------------------------------------------

-- Stamps updated_at on every UPDATE that changes the row. The triggers carry
-- WHEN (OLD.* IS DISTINCT FROM NEW.*) so that a no-op UPDATE leaves it alone.
CREATE FUNCTION set_updated_at()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

COMMENT ON FUNCTION set_updated_at() IS 'BEFORE UPDATE trigger: sets NEW.updated_at to now().';

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'invitation_codes', 'users', 'tour_leaders', 'certifications', 'tours', 'tour_itinerary',
        'tour_schedules', 'promo_codes', 'bookings', 'payments', 'travel_stories', 'reviews',
        'messages', 'popular_searches', 'personality_types']
    LOOP
        EXECUTE format(
            'CREATE TRIGGER trg_%1$s_updated_at BEFORE UPDATE ON %1$I '
            'FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION set_updated_at()', t);
    END LOOP;
END;
$$;

-- -----------------------------------------------------------------------------
-- 4.2 Review statistics
-- -----------------------------------------------------------------------------
--
-- tours.total_reviews / average_rating and tour_leaders.total_reviews /
-- average_rating always equal a fresh aggregate over ACTIVE reviews of that
-- target:
--     total_reviews  = count(*)
--     average_rating = round(avg(rating), 2), and 0 when there is no review.
--
-- DECISION: a leader's statistics count leader reviews only, i.e. rows with
-- review_type = 'leader' AND leader_id = the leader. Reviews of the leader's
-- tours are not included: they rate a product (and stay with it), the
-- leader's profile shows what travelers said about the person, and a tour
-- changing hands does not silently rewrite two leaders' ratings.
--
-- How it stays exact:
-- * Statement-level AFTER triggers with transition tables collect the
--   affected target ids once per statement (a COPY or bulk INSERT of a
--   million reviews recomputes each tour once, not once per row), and the
--   targets are recomputed by aggregate, never incremented.
-- * UPDATEs count both the old and the new target of each changed row (a
--   review moved from tour A to tour B recomputes A and B; a rating change
--   or a soft delete recomputes its target). Rows whose target, rating and
--   is_active did not change are skipped.
-- * Concurrency: the targets' rows are locked (in id order, so that two
--   statements locking overlapping sets cannot deadlock each other) BEFORE
--   the aggregate runs. Under READ COMMITTED the aggregate statement then
--   takes its snapshot after every concurrent writer of the same target has
--   committed, so the last writer always sees every review (without the
--   lock, concurrent single-review inserts were measured to drift); under
--   REPEATABLE READ / SERIALIZABLE the lock raises a serialization failure
--   when a concurrent writer got there first, and the transaction retries.
-- * Targets whose values did not change are not rewritten, so a loader that
--   inserts tours with their final statistics and then the reviews pays for
--   the aggregate only.
-- * Bulk loads that bypass triggers (session_replication_role = replica)
--   can call recompute_tour_stats(NULL) / recompute_leader_stats(NULL).

-- Recomputes the review statistics of the given tours (all tours when
-- tour_ids is NULL). Returns how many tours changed.
CREATE FUNCTION recompute_tour_stats(tour_ids uuid[])
RETURNS integer
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    ids     uuid[];
    changed integer;
BEGIN
    IF tour_ids IS NULL THEN
        ids := ARRAY(SELECT t.id FROM tours AS t ORDER BY t.id);
    ELSE
        ids := ARRAY(SELECT DISTINCT u.id FROM unnest(tour_ids) AS u (id) WHERE u.id IS NOT NULL ORDER BY u.id);
    END IF;
    IF cardinality(ids) = 0 THEN
        RETURN 0;
    END IF;

    -- Lock first, aggregate second (see the note above).
    PERFORM 1 FROM tours AS t WHERE t.id = ANY (ids) ORDER BY t.id FOR NO KEY UPDATE OF t;

    UPDATE tours AS t
       SET total_reviews = s.review_count,
           average_rating = s.avg_rating
      FROM (SELECT u.id, a.review_count, a.avg_rating
              FROM unnest(ids) AS u (id)
             CROSS JOIN LATERAL (
                   SELECT count(*)::integer AS review_count,
                          coalesce(round(avg(r.rating), 2), 0)::numeric(3,2) AS avg_rating
                     FROM reviews AS r
                    WHERE r.tour_id = u.id AND r.is_active) AS a) AS s
     WHERE t.id = s.id
       AND (t.total_reviews, t.average_rating) IS DISTINCT FROM (s.review_count, s.avg_rating);
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed;
END;
$$;

COMMENT ON FUNCTION recompute_tour_stats(uuid[]) IS
    'Sets total_reviews/average_rating of the given tours (all when NULL) from their active reviews; returns the number of tours changed.';

-- Recomputes the review statistics of the given leaders (all leaders when
-- leader_ids is NULL) from their active leader reviews. Returns how many
-- leaders changed.
CREATE FUNCTION recompute_leader_stats(leader_ids uuid[])
RETURNS integer
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    ids     uuid[];
    changed integer;
BEGIN
    IF leader_ids IS NULL THEN
        ids := ARRAY(SELECT l.id FROM tour_leaders AS l ORDER BY l.id);
    ELSE
        ids := ARRAY(SELECT DISTINCT u.id FROM unnest(leader_ids) AS u (id) WHERE u.id IS NOT NULL ORDER BY u.id);
    END IF;
    IF cardinality(ids) = 0 THEN
        RETURN 0;
    END IF;

    PERFORM 1 FROM tour_leaders AS l WHERE l.id = ANY (ids) ORDER BY l.id FOR NO KEY UPDATE OF l;

    -- reviews_target_check guarantees leader_id is set only on leader reviews.
    UPDATE tour_leaders AS l
       SET total_reviews = s.review_count,
           average_rating = s.avg_rating
      FROM (SELECT u.id, a.review_count, a.avg_rating
              FROM unnest(ids) AS u (id)
             CROSS JOIN LATERAL (
                   SELECT count(*)::integer AS review_count,
                          coalesce(round(avg(r.rating), 2), 0)::numeric(3,2) AS avg_rating
                     FROM reviews AS r
                    WHERE r.leader_id = u.id AND r.review_type = 'leader' AND r.is_active) AS a) AS s
     WHERE l.id = s.id
       AND (l.total_reviews, l.average_rating) IS DISTINCT FROM (s.review_count, s.avg_rating);
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed;
END;
$$;

COMMENT ON FUNCTION recompute_leader_stats(uuid[]) IS
    'Sets total_reviews/average_rating of the given leaders (all when NULL) from their active leader reviews; returns the number of leaders changed.';

-- Statement-level AFTER INSERT/UPDATE/DELETE/TRUNCATE trigger on reviews.
-- Transition tables: new_reviews (INSERT, UPDATE), old_reviews (UPDATE, DELETE).
CREATE FUNCTION update_tour_stats()
RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    ids uuid[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE tours SET total_reviews = 0, average_rating = 0
         WHERE total_reviews <> 0 OR average_rating <> 0;
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        ids := ARRAY(SELECT DISTINCT n.tour_id FROM new_reviews AS n WHERE n.tour_id IS NOT NULL);
    ELSIF TG_OP = 'DELETE' THEN
        ids := ARRAY(SELECT DISTINCT o.tour_id FROM old_reviews AS o WHERE o.tour_id IS NOT NULL);
    ELSE
        -- Both the old and the new target of each row whose target, rating
        -- or is_active changed (an unmatched id means the id itself changed).
        ids := ARRAY(
            SELECT DISTINCT x.tour_id
              FROM old_reviews AS o
              FULL JOIN new_reviews AS n ON n.id = o.id
             CROSS JOIN LATERAL (VALUES (o.tour_id), (n.tour_id)) AS x (tour_id)
             WHERE x.tour_id IS NOT NULL
               AND (o.id IS NULL OR n.id IS NULL
                    OR (o.tour_id, o.rating, o.is_active) IS DISTINCT FROM (n.tour_id, n.rating, n.is_active)));
    END IF;

    IF cardinality(ids) > 0 THEN
        PERFORM recompute_tour_stats(ids);
    END IF;
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION update_tour_stats() IS
    'Statement-level trigger on reviews keeping tours.total_reviews/average_rating equal to the aggregate of active tour reviews.';

CREATE FUNCTION update_leader_stats()
RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    ids uuid[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE tour_leaders SET total_reviews = 0, average_rating = 0
         WHERE total_reviews <> 0 OR average_rating <> 0;
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        ids := ARRAY(SELECT DISTINCT n.leader_id FROM new_reviews AS n WHERE n.leader_id IS NOT NULL);
    ELSIF TG_OP = 'DELETE' THEN
        ids := ARRAY(SELECT DISTINCT o.leader_id FROM old_reviews AS o WHERE o.leader_id IS NOT NULL);
    ELSE
        ids := ARRAY(
            SELECT DISTINCT x.leader_id
              FROM old_reviews AS o
              FULL JOIN new_reviews AS n ON n.id = o.id
             CROSS JOIN LATERAL (VALUES (o.leader_id), (n.leader_id)) AS x (leader_id)
             WHERE x.leader_id IS NOT NULL
               AND (o.id IS NULL OR n.id IS NULL
                    OR (o.leader_id, o.rating, o.is_active) IS DISTINCT FROM (n.leader_id, n.rating, n.is_active)));
    END IF;

    IF cardinality(ids) > 0 THEN
        PERFORM recompute_leader_stats(ids);
    END IF;
    RETURN NULL;
END;
$$;

COMMENT ON FUNCTION update_leader_stats() IS
    'Statement-level trigger on reviews keeping tour_leaders.total_reviews/average_rating equal to the aggregate of active leader reviews (leader reviews only).';

-- PostgreSQL allows transition tables only on single-event triggers, hence
-- one trigger per event.
CREATE TRIGGER trg_reviews_tour_stats_insert
    AFTER INSERT ON reviews REFERENCING NEW TABLE AS new_reviews
    FOR EACH STATEMENT EXECUTE FUNCTION update_tour_stats();
CREATE TRIGGER trg_reviews_tour_stats_update
    AFTER UPDATE ON reviews REFERENCING OLD TABLE AS old_reviews NEW TABLE AS new_reviews
    FOR EACH STATEMENT EXECUTE FUNCTION update_tour_stats();
CREATE TRIGGER trg_reviews_tour_stats_delete
    AFTER DELETE ON reviews REFERENCING OLD TABLE AS old_reviews
    FOR EACH STATEMENT EXECUTE FUNCTION update_tour_stats();
CREATE TRIGGER trg_reviews_tour_stats_truncate
    AFTER TRUNCATE ON reviews
    FOR EACH STATEMENT EXECUTE FUNCTION update_tour_stats();

CREATE TRIGGER trg_reviews_leader_stats_insert
    AFTER INSERT ON reviews REFERENCING NEW TABLE AS new_reviews
    FOR EACH STATEMENT EXECUTE FUNCTION update_leader_stats();
CREATE TRIGGER trg_reviews_leader_stats_update
    AFTER UPDATE ON reviews REFERENCING OLD TABLE AS old_reviews NEW TABLE AS new_reviews
    FOR EACH STATEMENT EXECUTE FUNCTION update_leader_stats();
CREATE TRIGGER trg_reviews_leader_stats_delete
    AFTER DELETE ON reviews REFERENCING OLD TABLE AS old_reviews
    FOR EACH STATEMENT EXECUTE FUNCTION update_leader_stats();
CREATE TRIGGER trg_reviews_leader_stats_truncate
    AFTER TRUNCATE ON reviews
    FOR EACH STATEMENT EXECUTE FUNCTION update_leader_stats();

-- -----------------------------------------------------------------------------
-- 4.3 Derived columns
-- -----------------------------------------------------------------------------

-- Tour bookings are made with the tour's leader: fill bookings.leader_id
-- from the tour when it is not given, and refuse a different one.
CREATE FUNCTION set_booking_leader()
RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
DECLARE
    tour_leader uuid;
BEGIN
    IF NEW.tour_id IS NOT NULL THEN
        SELECT t.leader_id INTO tour_leader FROM tours AS t WHERE t.id = NEW.tour_id;
        IF NOT FOUND THEN
            RETURN NEW;  -- the foreign key reports the missing tour
        END IF;
        IF NEW.leader_id IS NULL THEN
            NEW.leader_id := tour_leader;
        ELSIF NEW.leader_id <> tour_leader THEN
            RAISE EXCEPTION 'booking leader_id % is not the leader % of tour %',
                            NEW.leader_id, tour_leader, NEW.tour_id
                  USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER trg_bookings_leader
    BEFORE INSERT OR UPDATE OF tour_id, leader_id ON bookings
    FOR EACH ROW EXECUTE FUNCTION set_booking_leader();

-- is_verified_booking is true exactly when booking_id names a completed
-- booking of the reviewer for the reviewed tour (tour review) or with the
-- reviewed leader (leader review). Clients cannot set it themselves.
CREATE FUNCTION set_review_verified_booking()
RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    NEW.is_verified_booking := NEW.booking_id IS NOT NULL AND EXISTS (
        SELECT 1
          FROM bookings AS b
         WHERE b.id = NEW.booking_id
           AND b.user_id = NEW.user_id
           AND b.status = 'completed'
           AND CASE NEW.review_type
                   WHEN 'tour' THEN b.tour_id = NEW.tour_id
                   ELSE b.leader_id = NEW.leader_id
               END);
    RETURN NEW;
END;
$$;

-- Without a booking the flag must be false, which it already is unless a
-- client set it: the WHEN clause spares bulk loads a function call per row.
CREATE TRIGGER trg_reviews_verified_booking
    BEFORE INSERT OR UPDATE OF booking_id, user_id, review_type, tour_id, leader_id, is_verified_booking
    ON reviews
    FOR EACH ROW WHEN (NEW.booking_id IS NOT NULL OR NEW.is_verified_booking)
    EXECUTE FUNCTION set_review_verified_booking();

-- Stamps published_at the first time a story is published.
CREATE FUNCTION set_story_published_at()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.status = 'published' AND NEW.published_at IS NULL THEN
        NEW.published_at := now();
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER trg_travel_stories_published_at
    BEFORE INSERT OR UPDATE OF status, published_at ON travel_stories
    FOR EACH ROW EXECUTE FUNCTION set_story_published_at();

-- Keeps travel_stories.likes_count equal to the number of story_likes rows.
-- Increments are exact here: the (story_id, user_id) key forbids duplicates
-- and UPDATE ... SET likes_count = likes_count + 1 re-reads the latest row
-- version after waiting for a concurrent writer.
CREATE FUNCTION update_story_likes_count()
RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE travel_stories SET likes_count = likes_count - 1 WHERE id = OLD.story_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE travel_stories SET likes_count = likes_count + 1 WHERE id = NEW.story_id;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER trg_story_likes_count
    AFTER INSERT OR DELETE OR UPDATE OF story_id ON story_likes
    FOR EACH ROW EXECUTE FUNCTION update_story_likes_count();


-- =============================================================================
-- 5. Compatibility
-- =============================================================================

-- compatibility(u, l) = 100 * (1 - sqrt( sum_{i in U} (u_i - l_i)^2 / |U| ))
-- with U the keys of user_traits and a leader's missing key counting as 0.5.
-- The reference implementation that otterd's scorer is tested against.
--
-- Errors (SQLSTATE 22023 invalid_parameter_value): user_traits NULL, not an
-- object or empty (the formula is undefined, not zero); leader_traits not an
-- object (SQL NULL counts as {}: every trait missing); a value used by the
-- formula that is not a number in [0, 1].
--
-- No clamping is needed: each squared difference is <= 1 in floating point,
-- so the rounded sum is <= |U|, the quotient <= 1 and the result >= 0.
CREATE FUNCTION otter_compatibility(user_traits jsonb, leader_traits jsonb)
RETURNS double precision
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $$
DECLARE
    trait       record;
    leader_val  jsonb;
    u           double precision;
    l           double precision;
    sum_sq      double precision := 0;
    n           integer := 0;
BEGIN
    IF user_traits IS NULL OR jsonb_typeof(user_traits) <> 'object' THEN
        RAISE EXCEPTION 'otter_compatibility: user_traits must be a JSON object of trait -> number in [0, 1], got %',
                        coalesce(jsonb_typeof(user_traits), 'NULL')
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF leader_traits IS NOT NULL AND jsonb_typeof(leader_traits) <> 'object' THEN
        RAISE EXCEPTION 'otter_compatibility: leader_traits must be a JSON object of trait -> number in [0, 1], got %',
                        jsonb_typeof(leader_traits)
              USING ERRCODE = 'invalid_parameter_value';
    END IF;

    FOR trait IN SELECT e.key, e.value FROM jsonb_each(user_traits) AS e LOOP
        -- CASE, not OR: the cast must not run on a non-number.
        IF (CASE WHEN jsonb_typeof(trait.value) = 'number'
                 THEN (trait.value)::numeric NOT BETWEEN 0 AND 1
                 ELSE true END) THEN
            RAISE EXCEPTION 'otter_compatibility: user trait "%" must be a number in [0, 1], got %',
                            trait.key, trait.value
                  USING ERRCODE = 'invalid_parameter_value';
        END IF;
        u := (trait.value)::double precision;

        leader_val := leader_traits -> trait.key;
        IF leader_val IS NULL THEN
            l := 0.5;
        ELSIF (CASE WHEN jsonb_typeof(leader_val) = 'number'
                    THEN leader_val::numeric NOT BETWEEN 0 AND 1
                    ELSE true END) THEN
            RAISE EXCEPTION 'otter_compatibility: leader trait "%" must be a number in [0, 1], got %',
                            trait.key, leader_val
                  USING ERRCODE = 'invalid_parameter_value';
        ELSE
            l := leader_val::double precision;
        END IF;

        sum_sq := sum_sq + (u - l) * (u - l);
        n := n + 1;
    END LOOP;

    IF n = 0 THEN
        RAISE EXCEPTION 'otter_compatibility: user_traits is empty; compatibility is undefined without traits'
              USING ERRCODE = 'invalid_parameter_value';
    END IF;

    RETURN 100.0 * (1.0 - sqrt(sum_sq / n));
END;
$$;

COMMENT ON FUNCTION otter_compatibility(jsonb, jsonb) IS
    '100 * (1 - sqrt(sum over user trait keys of (u_i - l_i)^2 / |U|)), a missing leader trait counting as 0.5; '
    'raises 22023 when user_traits is null, not an object or empty, or a used value is not a number in [0,1].';


-- =============================================================================
-- 6. Seed data: personality types
-- =============================================================================
-- Ids are name-based (UUID v5) so that every Otter Trip database gives a
-- type the same id. Each traits object covers the 16 canonical traits, in
-- this order: adventurous, social, cultural, relaxed, foodie, nature,
-- luxury, budget, spontaneous, planner, active, photography, nightlife,
-- family, history, spiritual.

INSERT INTO personality_types (id, code, name, description, display_order, traits)
SELECT uuid_generate_v5(uuid_ns_url(), 'urn:otter-trip:personality-type:' || v.code),
       v.code, v.name, v.description, v.display_order,
       jsonb_build_object(
           'adventurous', v.t[1],  'social',      v.t[2],  'cultural',    v.t[3],  'relaxed',   v.t[4],
           'foodie',      v.t[5],  'nature',      v.t[6],  'luxury',      v.t[7],  'budget',    v.t[8],
           'spontaneous', v.t[9],  'planner',     v.t[10], 'active',      v.t[11], 'photography', v.t[12],
           'nightlife',   v.t[13], 'family',      v.t[14], 'history',     v.t[15], 'spiritual', v.t[16])
FROM (VALUES
    ('adventurer', 'The Adventurer', 1,
     'Chases adrenaline and the unknown: treks, climbs, rafting and off-the-map routes.',
     ARRAY[0.95, 0.60, 0.45, 0.15, 0.45, 0.80, 0.25, 0.55, 0.85, 0.25, 0.95, 0.70, 0.40, 0.20, 0.35, 0.30]::numeric[]),
    ('culture_seeker', 'The Culture Seeker', 2,
     'Travels to understand places: museums, heritage sites, local customs and traditions.',
     ARRAY[0.40, 0.50, 0.95, 0.45, 0.65, 0.40, 0.40, 0.45, 0.35, 0.70, 0.40, 0.70, 0.30, 0.35, 0.90, 0.55]::numeric[]),
    ('foodie_explorer', 'The Foodie Explorer', 3,
     'Plans days around markets, street food, cooking classes and tables worth the trip.',
     ARRAY[0.45, 0.70, 0.70, 0.50, 0.98, 0.30, 0.55, 0.40, 0.55, 0.45, 0.35, 0.65, 0.60, 0.40, 0.40, 0.20]::numeric[]),
    ('relaxer', 'The Relaxer', 4,
     'Travels to slow down: beaches, spas, long lunches and unhurried days.',
     ARRAY[0.10, 0.40, 0.35, 0.98, 0.60, 0.55, 0.60, 0.40, 0.40, 0.35, 0.10, 0.45, 0.25, 0.50, 0.25, 0.45]::numeric[]),
    ('social_butterfly', 'The Social Butterfly', 5,
     'Loves group tours, meeting locals and fellow travelers, and a lively evening.',
     ARRAY[0.60, 0.98, 0.50, 0.45, 0.70, 0.35, 0.45, 0.50, 0.75, 0.25, 0.55, 0.60, 0.90, 0.30, 0.30, 0.15]::numeric[]),
    ('nature_lover', 'The Nature Lover', 6,
     'Seeks wild places: national parks, wildlife, mountains, forests and coastlines.',
     ARRAY[0.75, 0.40, 0.40, 0.55, 0.35, 0.98, 0.20, 0.60, 0.45, 0.50, 0.80, 0.85, 0.10, 0.45, 0.30, 0.55]::numeric[]),
    ('luxury_traveler', 'The Luxury Traveler', 7,
     'Expects comfort and service: fine hotels, private guides and curated experiences.',
     ARRAY[0.30, 0.55, 0.60, 0.85, 0.85, 0.35, 0.98, 0.02, 0.25, 0.80, 0.25, 0.55, 0.55, 0.40, 0.50, 0.30]::numeric[]),
    ('budget_backpacker', 'The Budget Backpacker', 8,
     'Goes far on little: hostels, local transport, free walking tours and improvised plans.',
     ARRAY[0.85, 0.85, 0.60, 0.30, 0.55, 0.70, 0.02, 0.98, 0.90, 0.15, 0.75, 0.60, 0.70, 0.05, 0.45, 0.35]::numeric[]),
    ('planner', 'The Meticulous Planner', 9,
     'Researches everything ahead: booked itineraries, timed entries, no wasted hour.',
     ARRAY[0.30, 0.40, 0.70, 0.40, 0.50, 0.45, 0.55, 0.55, 0.05, 0.98, 0.45, 0.50, 0.20, 0.55, 0.70, 0.30]::numeric[]),
    ('family_voyager', 'The Family Voyager', 10,
     'Travels with children: safe, well-paced activities that every age enjoys.',
     ARRAY[0.40, 0.60, 0.55, 0.60, 0.55, 0.65, 0.45, 0.60, 0.25, 0.85, 0.55, 0.55, 0.05, 0.98, 0.50, 0.20]::numeric[]),
    ('history_buff', 'The History Buff', 11,
     'Walks through the past: battlefields, ruins, old towns and the stories behind them.',
     ARRAY[0.35, 0.40, 0.85, 0.50, 0.45, 0.35, 0.40, 0.50, 0.25, 0.75, 0.45, 0.65, 0.15, 0.40, 0.98, 0.45]::numeric[]),
    ('spiritual_wanderer', 'The Spiritual Wanderer', 12,
     'Looks for meaning: temples, pilgrimages, retreats, meditation and quiet landscapes.',
     ARRAY[0.35, 0.35, 0.75, 0.70, 0.40, 0.75, 0.25, 0.60, 0.40, 0.45, 0.45, 0.50, 0.05, 0.30, 0.65, 0.98]::numeric[]),
    ('night_owl', 'The Night Owl', 13,
     'Comes alive after dark: bars, live music, clubs and late-night food.',
     ARRAY[0.55, 0.90, 0.45, 0.35, 0.75, 0.15, 0.55, 0.45, 0.85, 0.15, 0.45, 0.50, 0.98, 0.05, 0.20, 0.10]::numeric[]),
    ('photographer', 'The Visual Storyteller', 14,
     'Travels through a lens: golden hours, viewpoints and scenes worth waiting for.',
     ARRAY[0.60, 0.40, 0.65, 0.40, 0.50, 0.80, 0.40, 0.50, 0.45, 0.60, 0.60, 0.98, 0.35, 0.30, 0.60, 0.35]::numeric[])
) AS v (code, name, display_order, description, t);


-- =============================================================================
-- 7. Roles, privileges and row-level security
-- =============================================================================
--
-- Group roles (NOLOGIN; grant them to login roles):
--   otter_app     the main API. Subject to row-level security on the
--                 user-private tables; it acts for the user named by
--                 SET [LOCAL] app.user_id = '<uuid>'.
--   otter_reader  otterd's reads: SELECT on what the engine loads.
--   otter_writer  otterd's writes: personality_match_scores,
--                 popular_searches, and INSERT into search_history.
-- The daemon's login role is typically granted both otter_reader and
-- otter_writer.
--
-- FORCE ROW LEVEL SECURITY subjects the tables' owner to the policies too;
-- only superusers and BYPASSRLS roles skip them (administration, bulk
-- loads, payment-provider webhooks).
--
-- Roles are cluster-wide: they are created only when missing, and a
-- concurrent creation by another database's load is tolerated.

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['otter_app', 'otter_reader', 'otter_writer'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION
                WHEN duplicate_object OR unique_violation THEN
                    NULL;  -- created concurrently
            END;
        END IF;
    END LOOP;

    -- Policies would silently not apply to such a role.
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'otter_app' AND (rolsuper OR rolbypassrls)) THEN
        RAISE EXCEPTION 'role otter_app exists with SUPERUSER or BYPASSRLS; row-level security would not apply to it';
    END IF;

    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO otter_app, otter_reader, otter_writer',
                   current_database());
END;
$$;

GRANT USAGE ON SCHEMA public TO otter_app, otter_reader, otter_writer;

-- otter_app: the whole model, subject to RLS where it applies. Bookings and
-- payments are financial history: cancelled or refunded, never deleted.
GRANT SELECT, INSERT, UPDATE, DELETE ON
    users, tour_leaders, leader_languages, leader_specialties, certifications,
    tours, tour_itinerary, tour_schedules, reviews, travel_stories, story_likes,
    user_favorites, messages, notifications, search_history, popular_searches,
    personality_types, user_quiz_results, personality_match_scores,
    promo_codes, invitation_codes
    TO otter_app;
GRANT SELECT, INSERT, UPDATE ON bookings, payments TO otter_app;
GRANT SELECT ON user_current_traits TO otter_app;

-- otter_reader: what the engine loads and follows. On users only
-- non-sensitive columns (no email, phone, password hash).
GRANT SELECT ON
    tour_leaders, leader_languages, leader_specialties, certifications,
    tours, tour_itinerary, tour_schedules,
    personality_types, user_quiz_results, user_current_traits,
    personality_match_scores, popular_searches
    TO otter_reader;
GRANT SELECT (id, username, first_name, last_name, avatar_url, city, country, is_active, created_at, updated_at)
    ON users TO otter_reader;

-- otter_writer: SELECT is needed by upserts (ON CONFLICT DO UPDATE) and by
-- the deletion of stale scores.
GRANT SELECT, INSERT, UPDATE, DELETE ON personality_match_scores, popular_searches TO otter_writer;
GRANT INSERT ON search_history TO otter_writer;

-- The tour leader profile of the current user, if any.
CREATE FUNCTION app_current_leader_id()
RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT l.id FROM tour_leaders AS l WHERE l.user_id = app_current_user_id());

COMMENT ON FUNCTION app_current_leader_id() IS
    'The tour_leaders.id of the user in app.user_id, or NULL when unset or not a leader.';

ALTER TABLE bookings       ENABLE ROW LEVEL SECURITY;
ALTER TABLE bookings       FORCE ROW LEVEL SECURITY;
ALTER TABLE payments       ENABLE ROW LEVEL SECURITY;
ALTER TABLE payments       FORCE ROW LEVEL SECURITY;
ALTER TABLE messages       ENABLE ROW LEVEL SECURITY;
ALTER TABLE messages       FORCE ROW LEVEL SECURITY;
ALTER TABLE notifications  ENABLE ROW LEVEL SECURITY;
ALTER TABLE notifications  FORCE ROW LEVEL SECURITY;
ALTER TABLE user_favorites ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_favorites FORCE ROW LEVEL SECURITY;
ALTER TABLE search_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE search_history FORCE ROW LEVEL SECURITY;

-- The policies wrap the helper calls in (SELECT ...) so that each is
-- evaluated once per query, not once per row. With app.user_id unset every
-- comparison is NULL: the role sees and changes nothing.

-- bookings: the traveler who booked, and the leader it was booked with.
-- Either may update it (confirm, cancel); only the traveler creates it.
CREATE POLICY bookings_app_select ON bookings FOR SELECT TO otter_app
    USING (user_id = (SELECT app_current_user_id())
           OR leader_id = (SELECT app_current_leader_id()));
CREATE POLICY bookings_app_insert ON bookings FOR INSERT TO otter_app
    WITH CHECK (user_id = (SELECT app_current_user_id()));
CREATE POLICY bookings_app_update ON bookings FOR UPDATE TO otter_app
    USING (user_id = (SELECT app_current_user_id())
           OR leader_id = (SELECT app_current_leader_id()))
    WITH CHECK (user_id = (SELECT app_current_user_id())
                OR leader_id = (SELECT app_current_leader_id()));

-- payments: through their booking. Both parties of the booking see them;
-- the traveler who booked records and updates them.
CREATE POLICY payments_app_select ON payments FOR SELECT TO otter_app
    USING (EXISTS (SELECT 1 FROM bookings AS b
                    WHERE b.id = payments.booking_id
                      AND (b.user_id = (SELECT app_current_user_id())
                           OR b.leader_id = (SELECT app_current_leader_id()))));
CREATE POLICY payments_app_insert ON payments FOR INSERT TO otter_app
    WITH CHECK (EXISTS (SELECT 1 FROM bookings AS b
                         WHERE b.id = payments.booking_id
                           AND b.user_id = (SELECT app_current_user_id())));
CREATE POLICY payments_app_update ON payments FOR UPDATE TO otter_app
    USING (EXISTS (SELECT 1 FROM bookings AS b
                    WHERE b.id = payments.booking_id
                      AND b.user_id = (SELECT app_current_user_id())))
    WITH CHECK (EXISTS (SELECT 1 FROM bookings AS b
                         WHERE b.id = payments.booking_id
                           AND b.user_id = (SELECT app_current_user_id())));

-- messages: sender and recipient see and update (read status, per-side
-- deletion); one sends only as oneself; only the sender deletes.
CREATE POLICY messages_app_select ON messages FOR SELECT TO otter_app
    USING (sender_id = (SELECT app_current_user_id())
           OR recipient_id = (SELECT app_current_user_id()));
CREATE POLICY messages_app_insert ON messages FOR INSERT TO otter_app
    WITH CHECK (sender_id = (SELECT app_current_user_id()));
CREATE POLICY messages_app_update ON messages FOR UPDATE TO otter_app
    USING (sender_id = (SELECT app_current_user_id())
           OR recipient_id = (SELECT app_current_user_id()))
    WITH CHECK (sender_id = (SELECT app_current_user_id())
                OR recipient_id = (SELECT app_current_user_id()));
CREATE POLICY messages_app_delete ON messages FOR DELETE TO otter_app
    USING (sender_id = (SELECT app_current_user_id()));

-- notifications: own rows only, except that any request may notify another
-- user (a booking notifies the leader) without being able to read it back.
CREATE POLICY notifications_app_select ON notifications FOR SELECT TO otter_app
    USING (user_id = (SELECT app_current_user_id()));
CREATE POLICY notifications_app_insert ON notifications FOR INSERT TO otter_app
    WITH CHECK (true);
CREATE POLICY notifications_app_update ON notifications FOR UPDATE TO otter_app
    USING (user_id = (SELECT app_current_user_id()))
    WITH CHECK (user_id = (SELECT app_current_user_id()));
CREATE POLICY notifications_app_delete ON notifications FOR DELETE TO otter_app
    USING (user_id = (SELECT app_current_user_id()));

-- user_favorites: own rows only.
CREATE POLICY user_favorites_app_all ON user_favorites FOR ALL TO otter_app
    USING (user_id = (SELECT app_current_user_id()))
    WITH CHECK (user_id = (SELECT app_current_user_id()));

-- search_history: own rows; anonymous searches (user_id NULL) may be
-- recorded but are read by no one through otter_app.
CREATE POLICY search_history_app_select ON search_history FOR SELECT TO otter_app
    USING (user_id = (SELECT app_current_user_id()));
CREATE POLICY search_history_app_insert ON search_history FOR INSERT TO otter_app
    WITH CHECK (user_id IS NULL OR user_id = (SELECT app_current_user_id()));
CREATE POLICY search_history_app_update ON search_history FOR UPDATE TO otter_app
    USING (user_id = (SELECT app_current_user_id()))
    WITH CHECK (user_id = (SELECT app_current_user_id()));
CREATE POLICY search_history_app_delete ON search_history FOR DELETE TO otter_app
    USING (user_id = (SELECT app_current_user_id()));

-- otterd records every user's (and anonymous) searches in batches.
CREATE POLICY search_history_writer_insert ON search_history FOR INSERT TO otter_writer
    WITH CHECK (true);

COMMIT;
