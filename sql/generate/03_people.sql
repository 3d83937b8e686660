-- Users, invitation codes, leaders (with languages, specialties and
-- certifications) and quiz results. Leaders are the first :leaders users.

\echo '[generate] invitation codes'
INSERT INTO invitation_codes (id, code, description, max_uses, uses_count, expires_at, is_active, created_at)
SELECT otter_gen.uuid('invitation', i),
       'INVITE-' || lpad(i::text, 6, '0'),
       'Partner invitation batch ' || (1 + i % 12),
       m.max_uses,
       otter_gen.rand_int(102, i, 0, m.max_uses),
       timestamptz '2027-06-30' + (i % 365) * interval '1 day',
       otter_gen.rand(103, i) < 0.9,
       timestamptz '2023-01-01' + otter_gen.rand(104, i) * interval '1000 days'
  FROM generate_series(1, :invitations) AS i
 CROSS JOIN LATERAL (SELECT otter_gen.rand_int(101, i, 1, 50)::int AS max_uses) AS m;

\echo '[generate] users'
INSERT INTO users (id, email, username, password_hash, first_name, last_name, phone,
                   email_verified, email_verified_at, avatar_url, city, country,
                   preferred_language, preferred_currency, preferences, interests,
                   invitation_code_id, last_login_at, is_active, created_at, updated_at)
SELECT otter_gen.uuid('user', i),
       lower(f.name) || '.' || lower(l.name) || '.' || i || '@example.com',
       lower(f.name) || '_' || i,
       -- A fixed bcrypt-shaped hash: the demo accounts have no usable password.
       '$2b$12$' || substr(md5('pw' || i) || md5('salt' || i), 1, 53),
       f.name, l.name,
       CASE WHEN otter_gen.rand(110, i) < 0.6 THEN '+1555' || lpad((i % 10000000)::text, 7, '0') END,
       v.verified,
       CASE WHEN v.verified THEN c.created_at + interval '2 hours' END,
       'https://images.ottertrip.example/avatars/' || i || '.jpg',
       city.city, city.country, city.language,
       CASE WHEN otter_gen.rand(111, i) < 0.7 THEN 'USD' ELSE 'EUR' END,
       jsonb_build_object(
           'budget', (ARRAY['low', 'medium', 'high'])[otter_gen.rand_int(112, i, 1, 3)],
           'group_size', (ARRAY['solo', 'couple', 'family', 'group'])[otter_gen.rand_int(113, i, 1, 4)],
           'pace', (ARRAY['relaxed', 'moderate', 'packed'])[otter_gen.rand_int(114, i, 1, 3)]),
       (SELECT coalesce(jsonb_agg(DISTINCT cat.category), '[]')
          FROM generate_series(1, otter_gen.rand_int(115, i, 1, 4)::int) AS k
          JOIN otter_gen.categories AS cat ON cat.rank = otter_gen.rand_int(116, i * 8 + k, 1, 12)),
       CASE WHEN otter_gen.rand(117, i) < 0.3
            THEN otter_gen.uuid('invitation', otter_gen.rand_int(118, i, 1, :invitations)) END,
       c.created_at + otter_gen.rand(119, i) * (timestamptz '2026-11-01' - c.created_at),
       otter_gen.rand(120, i) < 0.98,
       c.created_at, c.created_at
  FROM generate_series(1, :users) AS i
 CROSS JOIN LATERAL (SELECT timestamptz '2023-01-01' + otter_gen.rand(121, i) * interval '1400 days' AS created_at) AS c
 CROSS JOIN LATERAL (SELECT otter_gen.rand(122, i) < 0.8 AS verified) AS v
  JOIN otter_gen.first_names AS f ON f.rank = 1 + i % (SELECT count(*) FROM otter_gen.first_names)
  JOIN otter_gen.last_names AS l ON l.rank = 1 + (i / 7) % (SELECT count(*) FROM otter_gen.last_names)
  JOIN otter_gen.cities AS city ON city.rank = otter_gen.zipf(123, i, 101);

\echo '[generate] tour leaders'
-- Each leader lives in a Zipf-popular city, within a few kilometres of its
-- centre; longitudes wrap across the antimeridian (Fiji, Tonga, Samoa).
INSERT INTO tour_leaders (id, user_id, type, display_name, headline, bio, city, country, coordinates,
                          hourly_rate, currency, personality_traits, years_experience,
                          response_time_hours, is_verified, verified_at, followers_count,
                          videos_count, is_active, created_at, updated_at)
SELECT otter_gen.uuid('leader', i),
       otter_gen.uuid('user', i),
       CASE WHEN t.r < 0.80 THEN 'leader' WHEN t.r < 0.95 THEN 'expert' ELSE 'manager' END,
       u.first_name || ' ' || u.last_name,
       initcap(otter_gen.text(130, i, 3)) || ' guide in ' || city.city,
       otter_gen.sentence(131, i, 14) || ' ' || otter_gen.sentence(132, i, 10),
       city.city, city.country,
       otter_gen.point(city.lat, city.lon, 133, i, 6.0),
       round((15 + 120 * otter_gen.rand(134, i) ^ 2)::numeric, 2),
       'USD',
       otter_gen.traits(135, i, 0.85),
       otter_gen.rand_int(136, i, 0, 30),
       otter_gen.rand_int(137, i, 1, 48),
       ver.verified,
       CASE WHEN ver.verified THEN u.created_at + interval '10 days' END,
       floor(2000 * otter_gen.rand(138, i) ^ 4)::int,
       otter_gen.rand_int(139, i, 0, 20),
       otter_gen.rand(140, i) < 0.97,
       u.created_at + interval '1 day', u.created_at + interval '1 day'
  FROM generate_series(1, :leaders) AS i
 CROSS JOIN LATERAL (SELECT otter_gen.rand(141, i) AS r) AS t
 CROSS JOIN LATERAL (SELECT otter_gen.rand(142, i) < 0.4 AS verified) AS ver
  JOIN users AS u ON u.id = otter_gen.uuid('user', i)
  JOIN otter_gen.cities AS city ON city.rank = otter_gen.zipf(143, i, 101);

\echo '[generate] leader languages and specialties'
-- English for most, the city's language natively, and a few more.
INSERT INTO leader_languages (leader_id, language_code, proficiency)
SELECT l.id, x.code, (array_agg(x.proficiency ORDER BY x.ord))[1]
  FROM generate_series(1, :leaders) AS i
  JOIN tour_leaders AS l ON l.id = otter_gen.uuid('leader', i)
  JOIN otter_gen.cities AS city ON city.city = l.city AND city.country = l.country
 CROSS JOIN LATERAL (
       VALUES (1, city.language, 'native'),
              (2, CASE WHEN otter_gen.rand(150, i) < 0.85 THEN 'en' END,
                  (ARRAY['fluent', 'conversational', 'native'])[otter_gen.rand_int(151, i, 1, 3)]),
              (3, CASE WHEN otter_gen.rand(152, i) < 0.35
                       THEN (ARRAY['es', 'fr', 'de', 'it', 'pt', 'zh', 'ja'])[otter_gen.rand_int(153, i, 1, 7)] END,
                  (ARRAY['basic', 'conversational', 'fluent'])[otter_gen.rand_int(154, i, 1, 3)])
       ) AS x (ord, code, proficiency)
 WHERE x.code IS NOT NULL
 GROUP BY l.id, x.code;

INSERT INTO leader_specialties (leader_id, specialty)
SELECT DISTINCT otter_gen.uuid('leader', i), s.specialty
  FROM generate_series(1, :leaders) AS i
 CROSS JOIN LATERAL generate_series(1, otter_gen.rand_int(160, i, 1, 3)::int) AS k
  JOIN otter_gen.specialties AS s ON s.rank = otter_gen.zipf(161, i * 4 + k, 20);

\echo '[generate] certifications'
INSERT INTO certifications (id, leader_id, name, issuing_organization, credential_id,
                            issued_on, expires_on, is_verified, verified_at)
SELECT otter_gen.uuid('certification', i * 2 + k),
       otter_gen.uuid('leader', i),
       (ARRAY['Wilderness First Aid', 'Licensed City Guide', 'Certified Sommelier', 'PADI Divemaster',
              'Mountain Leader', 'Food Safety Level 2', 'Heritage Interpreter'])[otter_gen.rand_int(170, i * 2 + k, 1, 7)],
       (ARRAY['Red Cross', 'Tourism Board', 'WSET', 'PADI', 'IFMGA', 'ServSafe', 'ICOMOS'])[otter_gen.rand_int(170, i * 2 + k, 1, 7)],
       'CERT-' || i || '-' || k,
       d.issued, d.issued + interval '3 years',
       ver.v, CASE WHEN ver.v THEN d.issued + interval '5 days' END
  FROM generate_series(1, :leaders) AS i
 CROSS JOIN LATERAL generate_series(1, otter_gen.rand_int(171, i, 0, 2)::int) AS k
 CROSS JOIN LATERAL (SELECT date '2018-01-01' + otter_gen.rand_int(172, i * 2 + k, 0, 2500)::int AS issued) AS d
 CROSS JOIN LATERAL (SELECT otter_gen.rand(173, i * 2 + k) < 0.7 AS v) AS ver;

\echo '[generate] quiz results'
-- 85% of users took the quiz; a third of those took it twice (the newer
-- result is the one that counts).
INSERT INTO user_quiz_results (id, user_id, personality_type_id, quiz_version, answers, traits,
                               started_at, completed_at, created_at)
SELECT otter_gen.uuid('quiz', i * 2 + k),
       otter_gen.uuid('user', i),
       (SELECT p.id FROM personality_types AS p ORDER BY p.code
         OFFSET otter_gen.rand_int(180, i * 2 + k, 0, 7) LIMIT 1),
       k,
       jsonb_build_object('q1', otter_gen.rand_int(181, i * 2 + k, 1, 5), 'q2', otter_gen.rand_int(182, i * 2 + k, 1, 5),
                          'q3', otter_gen.rand_int(183, i * 2 + k, 1, 5), 'q4', otter_gen.rand_int(184, i * 2 + k, 1, 5)),
       otter_gen.traits(185, i * 2 + k, 0.9),
       t.done - interval '6 minutes', t.done, t.done
  FROM generate_series(1, :users) AS i
 CROSS JOIN LATERAL generate_series(1, CASE WHEN otter_gen.rand(186, i) >= 0.85 THEN 0
                                            WHEN otter_gen.rand(187, i) < 0.33 THEN 2 ELSE 1 END) AS k
 CROSS JOIN LATERAL (SELECT timestamptz '2024-01-01' + (k * 200 + otter_gen.rand_int(188, i, 0, 190)) * interval '1 day' AS done) AS t;
