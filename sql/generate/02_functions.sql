-- Deterministic pseudo-random functions for the data generator. Every value
-- the generator makes is a pure function of (stream, row number), so the same
-- scale always produces the same database, whatever the plan or parallelism.

-- A uniform double in [0, 1) for row `i` of stream `stream`.
CREATE FUNCTION otter_gen.rand(stream int, i bigint) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ((hashint8extended(i, stream) >> 11) & 9007199254740991)::double precision
       / 9007199254740992.0;

-- A uniform integer in [lo, hi].
CREATE FUNCTION otter_gen.rand_int(stream int, i bigint, lo bigint, hi bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN lo + floor(otter_gen.rand(stream, i) * (hi - lo + 1))::bigint;

-- A Zipf-like rank in [1, n]: P(k) falls roughly as 1/k (log-uniform), so a
-- few values are very common and most are rare, as words and cities are.
CREATE FUNCTION otter_gen.zipf(stream int, i bigint, n int) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN least(n, floor(exp(otter_gen.rand(stream, i) * ln(n + 1.0)))::int);

-- An approximately normal value (sum of four uniforms), mean 0, sd 1.
CREATE FUNCTION otter_gen.normal(stream int, i bigint) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (otter_gen.rand(stream, i) + otter_gen.rand(stream + 7919, i)
        + otter_gen.rand(stream + 15838, i) + otter_gen.rand(stream + 23757, i) - 2.0)
       * sqrt(3.0);

-- A stable UUID for entity `kind` number `i` (so tests and demos can name
-- rows: the tour number 17 is always otter_gen.uuid('tour', 17)).
CREATE FUNCTION otter_gen.uuid(kind text, i bigint) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN md5(kind || ':' || i)::uuid;

-- A pool of phrases of 1 to 16 words, words drawn Zipf-like from
-- otter_gen.words, each also in sentence form, built set-based once: picking
-- a phrase per row is far cheaper than assembling words per row. (No helper
-- here is STRICT: a STRICT SQL function is not inlined, which made simple
-- ones 25 times slower.)
CREATE TABLE otter_gen.phrases (n int, id int, phrase text NOT NULL, sentence text NOT NULL, PRIMARY KEY (n, id));
INSERT INTO otter_gen.phrases
SELECT n, id, phrase, upper(left(phrase, 1)) || substr(phrase, 2) || '.'
  FROM (SELECT n, id, string_agg(w.word, ' ' ORDER BY k) AS phrase
          FROM generate_series(1, 16) AS n
         CROSS JOIN generate_series(1, 2000) AS id
         CROSS JOIN LATERAL generate_series(1, n) AS k
          JOIN otter_gen.words AS w ON w.rank = otter_gen.zipf(n, id * 16 + k, (SELECT max(rank) FROM otter_gen.words))
         GROUP BY n, id) AS p;

-- A phrase of `word_count` words (clamped to [1, 16]) for row i of a stream.
CREATE FUNCTION otter_gen.text(stream int, i bigint, word_count int) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT p.phrase FROM otter_gen.phrases AS p
         WHERE p.n = least(greatest(word_count, 1), 16) AND p.id = otter_gen.rand_int(stream, i, 1, 2000));

-- A sentence-like phrase: capitalised, ending with a period.
CREATE FUNCTION otter_gen.sentence(stream int, i bigint, word_count int) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT p.sentence FROM otter_gen.phrases AS p
         WHERE p.n = least(greatest(word_count, 1), 16) AND p.id = otter_gen.rand_int(stream, i, 1, 2000));

-- A point near (lat, lon): a normal offset of about `km` kilometres, the
-- longitude wrapped into [-180, 180] and the latitude kept inside [-89.9, 89.9].
CREATE FUNCTION otter_gen.point(lat float8, lon float8, stream int, i bigint, km float8) RETURNS geography
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (SELECT ST_SetSRID(ST_MakePoint(
            ((p.lon + 540.0)::numeric % 360 - 180)::float8,
            greatest(-89.9, least(89.9, p.lat))), 4326)::geography
          FROM (SELECT lat + otter_gen.normal(stream, i) * km / 111.2 AS lat,
                       lon + otter_gen.normal(stream + 1, i) * km / (111.2 * greatest(cos(radians(lat)), 0.05)) AS lon) AS p);

-- A trait object over the 16 canonical traits: each present with
-- probability `presence`, values rounded to two decimals.
CREATE FUNCTION otter_gen.traits(stream int, i bigint, presence float8) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (SELECT coalesce(jsonb_object_agg(t.name, round(otter_gen.rand(stream, i * 16 + t.ord)::numeric, 2)), '{"social": 0.5}')
          FROM unnest(ARRAY['adventurous', 'social', 'cultural', 'relaxed', 'foodie', 'nature', 'luxury',
                            'budget', 'spontaneous', 'planner', 'active', 'photography', 'nightlife',
                            'family', 'history', 'spiritual']) WITH ORDINALITY AS t (name, ord)
         WHERE otter_gen.rand(stream + 1, i * 16 + t.ord) < presence);

-- How many departures tour i has (0 to 3): the bookings refer to them.
CREATE FUNCTION otter_gen.schedule_count(i bigint) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN otter_gen.rand(253, i) < 0.35 THEN 0 ELSE otter_gen.rand_int(254, i, 1, 3)::int END;
