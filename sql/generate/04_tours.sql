-- Tours (with itineraries and schedules) and promo codes. Tour i belongs to
-- a leader drawn with a mild skew (some leaders run many tours) and sits
-- near its leader's city.

\echo '[generate] tours'
INSERT INTO tours (id, leader_id, title, slug, description, short_description, category, tags,
                   price, currency, duration_days, duration_hours, min_participants, max_participants,
                   difficulty_level, city, country, meeting_point, coordinates, images, inclusions,
                   exclusions, availability_start, availability_end, blackout_dates,
                   cancellation_policy, is_featured, is_active, created_at, updated_at)
SELECT otter_gen.uuid('tour', i),
       l.id,
       t.title,
       'tour-' || i || '-' || trim(BOTH '-' FROM regexp_replace(lower(t.words), '[^a-z0-9]+', '-', 'g')),
       d.description,
       left(d.description, 140),
       cat.category,
       (SELECT jsonb_agg(DISTINCT w.word)
          FROM generate_series(1, otter_gen.rand_int(210, i, 2, 5)::int) AS k
          JOIN otter_gen.words AS w ON w.rank = otter_gen.zipf(211, i * 8 + k, 150)),
       round(exp(3.9 + 0.75 * otter_gen.normal(212, i))::numeric, 2),
       'USD',
       ceil(dur.hours / 24.0)::int,
       dur.hours,
       1,
       otter_gen.rand_int(213, i, 2, 30),
       (ARRAY['easy', 'moderate', 'challenging', 'difficult', 'extreme'])[otter_gen.zipf(214, i, 5)],
       l.city, l.country,
       'Main square, ' || l.city,
       otter_gen.point(ST_Y(l.coordinates::geometry), ST_X(l.coordinates::geometry), 215, i, 8.0),
       (SELECT jsonb_agg('https://images.ottertrip.example/tours/' || i || '/' || k || '.jpg')
          FROM generate_series(1, otter_gen.rand_int(216, i, 1, 4)::int) AS k),
       (SELECT jsonb_agg(DISTINCT x)
          FROM generate_series(1, otter_gen.rand_int(217, i, 1, 4)::int) AS k
         CROSS JOIN LATERAL (SELECT (ARRAY['guide', 'tickets', 'lunch', 'transport', 'equipment', 'drinks',
                                           'photos', 'hotel pickup'])[otter_gen.rand_int(218, i * 8 + k, 1, 8)] AS x) AS y),
       '["gratuities"]',
       w.start_day, w.start_day + otter_gen.rand_int(219, i, 120, 720)::int,
       (SELECT coalesce(jsonb_agg(DISTINCT to_char(w.start_day + otter_gen.rand_int(220, i * 8 + k, 0, 365)::int, 'YYYY-MM-DD')), '[]')
          FROM generate_series(1, otter_gen.rand_int(221, i, 0, 4)::int) AS k),
       (ARRAY['Free cancellation up to 24 hours before', 'Free cancellation up to 7 days before',
              'Non-refundable'])[otter_gen.zipf(222, i, 3)],
       otter_gen.rand(223, i) < 0.02,
       otter_gen.rand(224, i) < 0.96,
       c.created_at, c.created_at
  FROM generate_series(1, :tours) AS i
 CROSS JOIN LATERAL (SELECT otter_gen.uuid('leader', 1 + floor(:leaders * otter_gen.rand(225, i) ^ 1.6)::bigint) AS leader_id) AS pick
  JOIN tour_leaders AS l ON l.id = pick.leader_id
  JOIN otter_gen.categories AS cat ON cat.rank = otter_gen.zipf(226, i, 12)
 CROSS JOIN LATERAL (SELECT otter_gen.text(227, i, otter_gen.rand_int(228, i, 2, 4)::int) AS words) AS tw
 CROSS JOIN LATERAL (SELECT initcap(tw.words) || ' ' || initcap(cat.category) || ' in ' || l.city AS title,
                            tw.words || ' ' || cat.category AS words) AS t
 CROSS JOIN LATERAL (
       SELECT t.title || '. ' || string_agg(s.sentence, ' ' ORDER BY k) AS description
         FROM generate_series(1, otter_gen.rand_int(229, i, 2, 6)::int) AS k
        CROSS JOIN LATERAL (SELECT otter_gen.sentence(230, i * 8 + k, otter_gen.rand_int(236, i * 8 + k, 6, 16)::int)
                              AS sentence) AS s) AS d
 CROSS JOIN LATERAL (
       SELECT CASE WHEN otter_gen.rand(231, i) < 0.7
                   THEN round(otter_gen.rand_int(232, i, 2, 20) / 2.0, 1)
                   ELSE 24.0 * otter_gen.rand_int(233, i, 2, 14) END AS hours) AS dur
 CROSS JOIN LATERAL (SELECT date '2026-01-01' + otter_gen.rand_int(234, i, 0, 300)::int AS start_day) AS w
 CROSS JOIN LATERAL (SELECT l.created_at + otter_gen.rand(235, i) * (timestamptz '2026-10-01' - l.created_at) AS created_at) AS c;

\echo '[generate] itineraries of multi-day tours'
INSERT INTO tour_itinerary (id, tour_id, day_number, title, description, location, activities, meals, accommodation)
SELECT otter_gen.uuid('itinerary', i * 8 + day),
       t.id, day,
       'Day ' || day || ': ' || initcap(otter_gen.text(240, i * 8 + day, 3)),
       otter_gen.sentence(241, i * 8 + day, 12),
       t.city,
       jsonb_build_array(otter_gen.text(242, i * 8 + day, 2), otter_gen.text(243, i * 8 + day, 2)),
       '["breakfast", "dinner"]',
       CASE WHEN day < t.duration_days THEN 'Guesthouse in ' || t.city END
  FROM generate_series(1, :tours) AS i
  JOIN tours AS t ON t.id = otter_gen.uuid('tour', i)
 CROSS JOIN LATERAL generate_series(1, least(t.duration_days, 5)) AS day
 WHERE t.duration_days > 1;

\echo '[generate] tour schedules'
-- Tour i has up to three departures, schedule ids otter_gen.uuid('schedule', i * 4 + k).
INSERT INTO tour_schedules (id, tour_id, start_date, end_date, max_participants, current_participants, status)
SELECT otter_gen.uuid('schedule', i * 4 + k),
       t.id, s.start_day, s.start_day + greatest(t.duration_days - 1, 0),
       t.max_participants, p.taken,
       CASE WHEN s.start_day < date '2026-11-01' THEN 'completed'
            WHEN otter_gen.rand(250, i * 4 + k) < 0.05 THEN 'cancelled'
            WHEN p.taken = t.max_participants THEN 'full'
            ELSE 'open' END
  FROM generate_series(1, :tours) AS i
  JOIN tours AS t ON t.id = otter_gen.uuid('tour', i)
 CROSS JOIN LATERAL generate_series(1, otter_gen.schedule_count(i)) AS k
 CROSS JOIN LATERAL (SELECT t.availability_start + otter_gen.rand_int(251, i * 4 + k, 0,
                                (t.availability_end - t.availability_start) - greatest(t.duration_days - 1, 0))::int AS start_day) AS s
 CROSS JOIN LATERAL (SELECT least(t.max_participants, floor(t.max_participants * otter_gen.rand(252, i * 4 + k) * 1.2)::int) AS taken) AS p;

\echo '[generate] promo codes'
INSERT INTO promo_codes (id, code, description, discount_type, discount_value, currency,
                         min_order_amount, max_uses, max_uses_per_user, uses_count, leader_id,
                         valid_from, valid_until, is_active)
SELECT otter_gen.uuid('promo', i),
       'SAVE' || lpad(i::text, 5, '0'),
       'Seasonal discount ' || i,
       dt.kind,
       CASE WHEN dt.kind = 'percentage' THEN otter_gen.rand_int(260, i, 5, 30) ELSE otter_gen.rand_int(261, i, 5, 50) END,
       CASE WHEN dt.kind = 'fixed_amount' THEN 'USD' END,
       CASE WHEN otter_gen.rand(262, i) < 0.5 THEN 50 END,
       1000, 1, otter_gen.rand_int(263, i, 0, 200),
       CASE WHEN otter_gen.rand(264, i) < 0.3 THEN otter_gen.uuid('leader', otter_gen.rand_int(265, i, 1, :leaders)) END,
       timestamptz '2025-01-01', timestamptz '2027-12-31',
       otter_gen.rand(266, i) < 0.9
  FROM generate_series(1, :promos) AS i
 CROSS JOIN LATERAL (SELECT CASE WHEN otter_gen.rand(267, i) < 0.7 THEN 'percentage' ELSE 'fixed_amount' END AS kind) AS dt;
