-- One owner for the role: the person record (`people.role`). It was also stored on the
-- membership (read by access checks) and on each invitation (read by the bell and on
-- accepting), and kept in step by hand.
--
-- Data first, so nothing is lost:
-- 1. A membership without its person record gets one (the account's name and address).
INSERT INTO people (org_id, name, email, role, user_id, welcome_sent_at)
SELECT m.org_id, u.name, u.email, m.role, u.id, m.created_at
FROM memberships m JOIN users u ON u.id = m.user_id
WHERE NOT EXISTS (SELECT 1 FROM people p WHERE p.org_id = m.org_id AND p.user_id = m.user_id)
ON CONFLICT (org_id, email) DO UPDATE SET user_id = EXCLUDED.user_id;
-- 2. Where a member's two copies disagreed, the membership's is the one access checks
--    enforced, so it is the role the person really had.
UPDATE people p SET role = m.role
FROM memberships m
WHERE m.org_id = p.org_id AND m.user_id = p.user_id AND p.role <> m.role;
-- 3. Someone not yet a member is invited with the role of their latest invitation.
UPDATE people p SET role = i.role
FROM (SELECT DISTINCT ON (org_id, email) org_id, email, role FROM invitations
      ORDER BY org_id, email, created_at DESC) i
WHERE i.org_id = p.org_id AND i.email = p.email AND p.role <> i.role
  AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = p.org_id AND m.user_id = p.user_id);

ALTER TABLE memberships DROP COLUMN role;
ALTER TABLE invitations DROP COLUMN role;

-- One person record per account and organization: the role of a member is found by
-- (org_id, user_id). Replaces the non-unique index of the same columns.
CREATE UNIQUE INDEX people_user_org_key ON people (user_id, org_id) WHERE user_id IS NOT NULL;
DROP INDEX people_user_idx;
