-- The people of an organization (seed 000): everyone added by an admin or invited, with
-- or without an account yet. Memberships remain who has joined, with which role.

CREATE TABLE people (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id           BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    email            TEXT NOT NULL,
    role             TEXT NOT NULL,
    -- New people are active whether the invitation is sent now or later (seed note).
    status           TEXT NOT NULL DEFAULT 'active',
    user_id          BIGINT REFERENCES users (id) ON DELETE SET NULL,
    welcome_sent_at  TIMESTAMPTZ,
    added_by         BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT people_org_email_key UNIQUE (org_id, email),
    CONSTRAINT people_email_lowercase CHECK (email = lower(email)),
    CONSTRAINT people_role_known CHECK (role IN ('OWNER', 'ADMIN', 'EDITOR', 'VIEWER')),
    CONSTRAINT people_status_known CHECK (status IN ('active', 'inactive'))
);

-- Everyone who already belongs to or was invited to an organization.
INSERT INTO people (org_id, name, email, role, user_id, welcome_sent_at)
SELECT m.org_id, u.name, u.email, m.role, u.id, m.created_at
FROM memberships m JOIN users u ON u.id = m.user_id;
INSERT INTO people (org_id, name, email, role, welcome_sent_at)
SELECT DISTINCT ON (i.org_id, i.email) i.org_id, split_part(i.email, '@', 1), i.email, i.role, i.sent_at
FROM invitations i
ORDER BY i.org_id, i.email, i.created_at DESC
ON CONFLICT (org_id, email) DO NOTHING;
