-- What travelers do: bookings in every state with their payments, reviews
-- with a J-shaped rating distribution (rolled up into tours and leaders by
-- the schema's statistics triggers), stories and likes, favorites,
-- messages, notifications, searches and cached match scores.

\echo '[generate] bookings'
-- Popular tours get more bookings; 15% are consultations with a leader.
-- A tour booking takes the tour's first departure when it has one.
INSERT INTO bookings (id, user_id, booking_type, tour_id, schedule_id, leader_id, status,
                      start_date, end_date, scheduled_at, duration_minutes, participants,
                      guest_details, contact_email, currency, total_amount, discount_amount,
                      promo_code_id, confirmed_at, completed_at, cancelled_at, cancelled_by,
                      cancellation_reason, refund_amount, created_at, updated_at)
SELECT otter_gen.uuid('booking', i),
       u.id,
       b.kind,
       t.id,
       CASE WHEN b.kind = 'tour' AND otter_gen.schedule_count(b.tour_no) > 0
            THEN otter_gen.uuid('schedule', b.tour_no * 4 + 1) END,
       CASE WHEN b.kind = 'consultation' THEN otter_gen.uuid('leader', b.leader_no) END,
       st.status,
       CASE WHEN b.kind = 'tour' THEN d.day END,
       CASE WHEN b.kind = 'tour' THEN d.day + greatest(t.duration_days - 1, 0) END,
       CASE WHEN b.kind = 'consultation' THEN d.day + time '15:00' END,
       CASE WHEN b.kind = 'consultation' THEN (ARRAY[30, 60, 90])[otter_gen.rand_int(300, i, 1, 3)] END,
       b.participants,
       jsonb_build_array(jsonb_build_object('name', u.first_name || ' ' || u.last_name)),
       u.email,
       'USD',
       a.total, a.discount,
       CASE WHEN a.discount > 0 THEN otter_gen.uuid('promo', otter_gen.rand_int(301, i, 1, :promos)) END,
       CASE WHEN st.status IN ('confirmed', 'completed', 'refunded') THEN c.created_at + interval '1 hour' END,
       CASE WHEN st.status = 'completed' THEN d.day + interval '1 day' END,
       CASE WHEN st.status IN ('cancelled', 'refunded') THEN c.created_at + interval '3 days' END,
       CASE WHEN st.status IN ('cancelled', 'refunded') THEN u.id END,
       CASE WHEN st.status IN ('cancelled', 'refunded')
            THEN (ARRAY['Change of plans', 'Illness', 'Weather', 'Found another tour'])[otter_gen.rand_int(302, i, 1, 4)] END,
       CASE WHEN st.status = 'refunded' THEN a.total - a.discount END,
       c.created_at, c.created_at
  FROM generate_series(1, :bookings) AS i
 CROSS JOIN LATERAL (
       SELECT CASE WHEN otter_gen.rand(303, i) < 0.85 THEN 'tour' ELSE 'consultation' END AS kind,
              1 + floor(:tours * otter_gen.rand(304, i) ^ 2)::bigint AS tour_no,
              otter_gen.rand_int(305, i, 1, :leaders) AS leader_no,
              otter_gen.rand_int(306, i, 1, 4)::int AS participants) AS b
  JOIN users AS u ON u.id = otter_gen.uuid('user', otter_gen.rand_int(307, i, 1, :users))
  LEFT JOIN tours AS t ON b.kind = 'tour' AND t.id = otter_gen.uuid('tour', b.tour_no)
  LEFT JOIN tour_schedules AS s ON s.id = otter_gen.uuid('schedule', b.tour_no * 4 + 1) AND s.tour_id = t.id
  LEFT JOIN tour_leaders AS cl ON b.kind = 'consultation' AND cl.id = otter_gen.uuid('leader', b.leader_no)
 CROSS JOIN LATERAL (
       SELECT CASE WHEN r < 0.10 THEN 'pending' WHEN r < 0.35 THEN 'confirmed' WHEN r < 0.80 THEN 'completed'
                   WHEN r < 0.95 THEN 'cancelled' ELSE 'refunded' END AS status
         FROM (SELECT otter_gen.rand(308, i) AS r) AS x) AS st
 CROSS JOIN LATERAL (
       SELECT coalesce(s.start_date, date '2025-06-01' + otter_gen.rand_int(309, i, 0, 700)::int) AS day) AS d
 CROSS JOIN LATERAL (
       SELECT round(coalesce(t.price * b.participants, cl.hourly_rate, 40), 2) AS total,
              CASE WHEN otter_gen.rand(310, i) < 0.1
                   THEN round(coalesce(t.price * b.participants, cl.hourly_rate, 40) * 0.1, 2) ELSE 0 END AS discount) AS a
 CROSS JOIN LATERAL (SELECT timestamptz '2025-01-01' + otter_gen.rand(311, i) * interval '600 days' AS created_at) AS c;

\echo '[generate] payments'
INSERT INTO payments (id, booking_id, amount, currency, method, provider, external_id, status,
                      refunded_amount, paid_at, refunded_at, created_at)
SELECT otter_gen.uuid('payment', i),
       b.id,
       b.total_amount - b.discount_amount,
       b.currency,
       m.method,
       m.provider,
       m.provider || '_' || substr(md5('payment' || i), 1, 20),
       CASE b.status WHEN 'pending' THEN 'pending' WHEN 'refunded' THEN 'refunded'
                     WHEN 'cancelled' THEN 'cancelled' ELSE 'completed' END,
       CASE WHEN b.status = 'refunded' THEN b.total_amount - b.discount_amount ELSE 0 END,
       CASE WHEN b.status IN ('confirmed', 'completed', 'refunded') THEN b.created_at + interval '5 minutes' END,
       CASE WHEN b.status = 'refunded' THEN b.cancelled_at END,
       b.created_at
  FROM generate_series(1, :bookings) AS i
  JOIN bookings AS b ON b.id = otter_gen.uuid('booking', i)
 CROSS JOIN LATERAL (
       SELECT x.method, x.provider
         FROM (VALUES (1, 'card', 'stripe'), (2, 'card', 'adyen'), (3, 'paypal', 'paypal'),
                      (4, 'bank_transfer', 'wise'), (5, 'crypto', 'coinbase')) AS x (n, method, provider)
        WHERE x.n = otter_gen.zipf(320, i, 5)) AS m
 WHERE b.total_amount - b.discount_amount > 0;

\echo '[generate] reviews'
-- Ratings: 5 (55%), 4 (25%), 3 (9%), 2 (4%), 1 (7%). Reviews 1..:bookings
-- come from completed tour bookings (verified); the rest are free-standing,
-- 80% about tours and 20% about leaders.
INSERT INTO reviews (id, user_id, booking_id, review_type, tour_id, leader_id, rating, title, content,
                     value_rating, communication_rating, knowledge_rating, organization_rating,
                     owner_response, owner_responded_at, helpful_count, is_active, created_at, updated_at)
SELECT otter_gen.uuid('review', i),
       coalesce(b.user_id, otter_gen.uuid('user', otter_gen.rand_int(330, i, 1, :users))),
       b.id,
       r.kind,
       CASE WHEN r.kind = 'tour' THEN coalesce(b.tour_id, otter_gen.uuid('tour', 1 + floor(:tours * otter_gen.rand(331, i) ^ 2)::bigint)) END,
       CASE WHEN r.kind = 'leader' THEN otter_gen.uuid('leader', 1 + floor(:leaders * otter_gen.rand(332, i) ^ 1.6)::bigint) END,
       g.rating,
       initcap(otter_gen.text(333, i, 3)),
       otter_gen.sentence(334, i, otter_gen.rand_int(335, i, 8, 30)::int),
       greatest(1, least(5, g.rating + otter_gen.rand_int(336, i, -1, 1)))::int,
       greatest(1, least(5, g.rating + otter_gen.rand_int(337, i, -1, 1)))::int,
       greatest(1, least(5, g.rating + otter_gen.rand_int(338, i, -1, 1)))::int,
       greatest(1, least(5, g.rating + otter_gen.rand_int(339, i, -1, 1)))::int,
       CASE WHEN otter_gen.rand(340, i) < 0.2 THEN 'Thank you for joining us!' END,
       CASE WHEN otter_gen.rand(340, i) < 0.2 THEN c.created_at + interval '2 days' END,
       floor(30 * otter_gen.rand(341, i) ^ 5)::int,
       otter_gen.rand(342, i) < 0.97,
       c.created_at, c.created_at
  FROM generate_series(1, :reviews) AS i
  LEFT JOIN bookings AS b
         ON i <= :bookings AND b.id = otter_gen.uuid('booking', i)
        AND b.status = 'completed' AND b.booking_type = 'tour'
 CROSS JOIN LATERAL (SELECT CASE WHEN b.id IS NOT NULL OR otter_gen.rand(343, i) < 0.8 THEN 'tour' ELSE 'leader' END AS kind) AS r
 CROSS JOIN LATERAL (
       SELECT CASE WHEN x < 0.55 THEN 5 WHEN x < 0.80 THEN 4 WHEN x < 0.89 THEN 3 WHEN x < 0.93 THEN 2 ELSE 1 END AS rating
         FROM (SELECT otter_gen.rand(344, i) AS x) AS y) AS g
 CROSS JOIN LATERAL (SELECT coalesce(b.completed_at, timestamptz '2024-01-01' + otter_gen.rand(345, i) * interval '1000 days') AS created_at) AS c;

\echo '[generate] travel stories and likes'
INSERT INTO travel_stories (id, user_id, tour_id, leader_id, title, slug, excerpt, content, cover_image_url,
                            tags, city, country, personality_traits, status, published_at,
                            reading_time_minutes, views_count, is_featured, created_at, updated_at)
SELECT otter_gen.uuid('story', i),
       otter_gen.uuid('user', otter_gen.rand_int(350, i, 1, :users)),
       t.id, t.leader_id,
       tt.title,
       'story-' || i || '-' || trim(BOTH '-' FROM regexp_replace(lower(tt.title), '[^a-z0-9]+', '-', 'g')),
       otter_gen.sentence(351, i, 14),
       otter_gen.sentence(352, i, 20) || ' ' || otter_gen.sentence(353, i, 25) || ' ' || otter_gen.sentence(354, i, 18),
       'https://images.ottertrip.example/stories/' || i || '.jpg',
       jsonb_build_array(t.category, otter_gen.text(355, i, 1)),
       t.city, t.country,
       otter_gen.traits(356, i, 0.3),
       s.status,
       CASE WHEN s.status <> 'draft' THEN c.created_at + interval '1 day' END,
       otter_gen.rand_int(357, i, 2, 15),
       floor(5000 * otter_gen.rand(358, i) ^ 4)::int,
       otter_gen.rand(359, i) < 0.05,
       c.created_at, c.created_at
  FROM generate_series(1, :stories) AS i
  JOIN tours AS t ON t.id = otter_gen.uuid('tour', otter_gen.rand_int(360, i, 1, :tours))
 CROSS JOIN LATERAL (SELECT 'My ' || otter_gen.text(361, i, 2) || ' days in ' || t.city AS title) AS tt
 CROSS JOIN LATERAL (SELECT CASE WHEN x < 0.7 THEN 'published' WHEN x < 0.9 THEN 'draft' ELSE 'archived' END AS status
                       FROM (SELECT otter_gen.rand(362, i) AS x) AS y) AS s
 CROSS JOIN LATERAL (SELECT timestamptz '2024-01-01' + otter_gen.rand(363, i) * interval '1000 days' AS created_at) AS c;

-- Likers of a story are distinct users: a stride coprime with nothing in
-- particular, reduced modulo the user count, and deduplicated.
INSERT INTO story_likes (story_id, user_id, created_at)
SELECT DISTINCT ON (s.id, u.user_no) s.id, otter_gen.uuid('user', u.user_no), s.created_at + interval '2 days'
  FROM generate_series(1, :stories) AS i
  JOIN travel_stories AS s ON s.id = otter_gen.uuid('story', i) AND s.status = 'published'
 CROSS JOIN LATERAL generate_series(1, floor(40 * otter_gen.rand(370, i) ^ 3)::int) AS k
 CROSS JOIN LATERAL (SELECT 1 + (i * 7919 + k * 104729) % :users AS user_no) AS u;

\echo '[generate] favorites, messages, notifications'
INSERT INTO user_favorites (id, user_id, favorite_type, tour_id, leader_id, story_id, created_at)
SELECT otter_gen.uuid('favorite', i), otter_gen.uuid('user', f.user_no), f.kind,
       CASE WHEN f.kind = 'tour' THEN otter_gen.uuid('tour', 1 + floor(:tours * otter_gen.rand(380, i) ^ 2)::bigint) END,
       CASE WHEN f.kind = 'leader' THEN otter_gen.uuid('leader', otter_gen.rand_int(381, i, 1, :leaders)) END,
       CASE WHEN f.kind = 'story' THEN otter_gen.uuid('story', otter_gen.rand_int(382, i, 1, :stories)) END,
       timestamptz '2024-06-01' + otter_gen.rand(383, i) * interval '800 days'
  FROM generate_series(1, :favorites) AS i
 CROSS JOIN LATERAL (SELECT otter_gen.rand_int(384, i, 1, :users) AS user_no,
                            (ARRAY['tour', 'tour', 'tour', 'leader', 'story'])[otter_gen.rand_int(385, i, 1, 5)] AS kind) AS f
ON CONFLICT DO NOTHING;

-- Conversations between a traveler and a leader's user account: message i
-- with i % 3 <> 1 answers message i - 1 of the same conversation.
INSERT INTO messages (id, sender_id, recipient_id, booking_id, parent_message_id, subject, content,
                      is_read, read_at, created_at, updated_at)
SELECT otter_gen.uuid('message', i),
       CASE WHEN i % 2 = 0 THEN p.traveler ELSE p.guide END,
       CASE WHEN i % 2 = 0 THEN p.guide ELSE p.traveler END,
       NULL,
       CASE WHEN i % 3 <> 1 THEN otter_gen.uuid('message', i - 1) END,
       CASE WHEN i % 3 = 1 THEN 'Question about ' || otter_gen.text(390, i, 2) END,
       otter_gen.sentence(391, i, otter_gen.rand_int(392, i, 5, 25)::int),
       rd.is_read, CASE WHEN rd.is_read THEN c.at + interval '3 hours' END,
       c.at, c.at
  FROM generate_series(1, :messages) AS i
 CROSS JOIN LATERAL (SELECT (i + 2) / 3 AS conversation) AS conv
 CROSS JOIN LATERAL (
       SELECT otter_gen.uuid('user', :leaders + otter_gen.rand_int(393, conv.conversation, 1, :users - :leaders)) AS traveler,
              otter_gen.uuid('user', otter_gen.rand_int(394, conv.conversation, 1, :leaders)) AS guide) AS p
 CROSS JOIN LATERAL (SELECT otter_gen.rand(395, i) < 0.7 AS is_read) AS rd
 CROSS JOIN LATERAL (SELECT timestamptz '2025-01-01' + conv.conversation * interval '37 minutes' + (i % 3) * interval '1 hour' AS at) AS c;

INSERT INTO notifications (id, user_id, type, channel, priority, title, body, data, action_url,
                           is_read, read_at, created_at)
SELECT otter_gen.uuid('notification', i),
       otter_gen.uuid('user', otter_gen.rand_int(400, i, 1, :users)),
       n.type, (ARRAY['in_app', 'email', 'push', 'sms'])[otter_gen.zipf(401, i, 4)],
       (ARRAY['normal', 'low', 'high', 'urgent'])[otter_gen.zipf(402, i, 4)],
       initcap(replace(n.type, '_', ' ')),
       otter_gen.sentence(403, i, 10),
       jsonb_build_object('ref', i),
       '/notifications/' || i,
       rd.is_read, CASE WHEN rd.is_read THEN c.at + interval '1 hour' END,
       c.at
  FROM generate_series(1, :notifications) AS i
 CROSS JOIN LATERAL (SELECT (ARRAY['booking_created', 'booking_confirmed', 'booking_cancelled', 'booking_reminder',
                                   'booking_completed', 'payment_received', 'payment_failed', 'payment_refunded',
                                   'new_message', 'new_review', 'review_response', 'new_follower', 'story_liked',
                                   'match_found', 'promotion', 'system'])[otter_gen.zipf(404, i, 16)] AS type) AS n
 CROSS JOIN LATERAL (SELECT otter_gen.rand(405, i) < 0.6 AS is_read) AS rd
 CROSS JOIN LATERAL (SELECT timestamptz '2025-01-01' + otter_gen.rand(406, i) * interval '680 days' AS at) AS c;

\echo '[generate] searches'
-- Queries are Zipf-drawn phrases; popular_searches aggregates what
-- search_history holds plus older, already-aggregated history.
INSERT INTO search_history (id, user_id, session_id, search_type, query, filters, results_count,
                            clicked_result_id, took_us, created_at)
SELECT otter_gen.uuid('search', i),
       CASE WHEN otter_gen.rand(410, i) < 0.7 THEN otter_gen.uuid('user', otter_gen.rand_int(411, i, 1, :users)) END,
       'sess-' || substr(md5('session' || (i / 5)), 1, 16),
       CASE WHEN otter_gen.rand(412, i) < 0.85 THEN 'tours' ELSE 'leaders' END,
       q.query,
       CASE WHEN otter_gen.rand(413, i) < 0.3 THEN jsonb_build_object('category', jsonb_build_array(q.category)) ELSE '{}' END,
       otter_gen.rand_int(414, i, 0, 500),
       CASE WHEN otter_gen.rand(415, i) < 0.4 THEN otter_gen.uuid('tour', 1 + floor(:tours * otter_gen.rand(416, i) ^ 2)::bigint) END,
       otter_gen.rand_int(417, i, 80, 2000),
       timestamptz '2025-01-01' + otter_gen.rand(418, i) * interval '680 days'
  FROM generate_series(1, :searches) AS i
 CROSS JOIN LATERAL (
       SELECT w.word || CASE WHEN otter_gen.rand(419, i) < 0.5 THEN ' ' || c.city ELSE '' END AS query, cat.category
         FROM otter_gen.words AS w, otter_gen.cities AS c, otter_gen.categories AS cat
        WHERE w.rank = otter_gen.zipf(420, i, 120) AND c.rank = otter_gen.zipf(421, i, 101)
          AND cat.rank = otter_gen.zipf(422, i, 12)) AS q;

INSERT INTO popular_searches (search_type, query, search_count, last_results_count, last_searched_at)
SELECT h.search_type, lower(h.query), count(*) * 10, max(h.results_count), max(h.created_at)
  FROM search_history AS h
 GROUP BY h.search_type, lower(h.query);

\echo '[generate] cached match scores'
-- A stale cache, as the platform has it between recomputes: each of the
-- first users that took the quiz, scored against a few leaders with the
-- reference formula.
INSERT INTO personality_match_scores (user_id, leader_id, score, computed_at)
SELECT q.user_id, l.id, round(otter_compatibility(q.traits, l.personality_traits)::numeric, 2),
       timestamptz '2026-10-01'
  FROM generate_series(1, :scored_users) AS i
 CROSS JOIN LATERAL (SELECT r.user_id, r.traits FROM user_quiz_results AS r
                      WHERE r.user_id = otter_gen.uuid('user', i)
                      ORDER BY r.completed_at DESC LIMIT 1) AS q
 CROSS JOIN LATERAL generate_series(1, 10) AS k
  JOIN tour_leaders AS l ON l.id = otter_gen.uuid('leader', otter_gen.rand_int(430, i * 16 + k, 1, :leaders))
ON CONFLICT DO NOTHING;
