-- Issue 3/4 (seeds 000-002): search and keyset paging over large organizations, per-person
-- actions, self-join links with allowed domains, Invite All batches, the audit log and the
-- daily invitation quota.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- Keyset paging by name or by email within one organization ((org_id, email) is unique).
CREATE INDEX people_org_name_idx ON people (org_id, lower(name), email);
-- Case-insensitive substring search over name and email, scoped to the organization.
CREATE INDEX people_search_idx ON people
    USING gin (org_id, (lower(name) || ' ' || email) gin_trgm_ops);

-- The latest invitation of a person.
CREATE INDEX invitations_person_idx ON invitations (org_id, email, created_at DESC);
-- Set by Resend: the old link stops working and says it was replaced.
ALTER TABLE invitations ADD COLUMN replaced_at TIMESTAMPTZ;

-- Invite All: one statement puts everyone never invited into invite_batch_people; a
-- worker then creates the invitations and mails in chunks, in person_id order.
CREATE TABLE invite_batches (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id          BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    requested_by    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    inviter_name    TEXT NOT NULL,
    locale          TEXT NOT NULL,
    total           INT NOT NULL DEFAULT 0,
    prepared        INT NOT NULL DEFAULT 0,
    -- The worker's position: people up to this id are done.
    next_person_id  BIGINT NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at     TIMESTAMPTZ
);
CREATE INDEX invite_batches_open_idx ON invite_batches (id) WHERE finished_at IS NULL;
CREATE INDEX invite_batches_org_idx ON invite_batches (org_id, id DESC);

-- A person is in at most one batch, ever: the primary key is what makes a double submit
-- (or two admins at once) queue nobody twice, without locking the people rows.
CREATE TABLE invite_batch_people (
    person_id  BIGINT PRIMARY KEY REFERENCES people (id) ON DELETE CASCADE,
    batch_id   BIGINT NOT NULL REFERENCES invite_batches (id) ON DELETE CASCADE
);
CREATE INDEX invite_batch_people_batch_idx ON invite_batch_people (batch_id, person_id);
-- Who Invite All looks at: never sent a welcome.
CREATE INDEX people_never_invited_idx ON people (org_id) WHERE welcome_sent_at IS NULL;
-- Access checks ask "is this account an inactive person here?" on every request.
CREATE INDEX people_user_idx ON people (user_id, org_id) WHERE user_id IS NOT NULL;

-- Which batch a mail belongs to, for the progress shown while Invite All runs.
ALTER TABLE outbox_emails ADD COLUMN batch_id BIGINT;
CREATE INDEX outbox_emails_batch_idx ON outbox_emails (batch_id, status) WHERE batch_id IS NOT NULL;

-- Invitations sent per organization and UTC day, against the daily quota.
CREATE TABLE invite_quota_usage (
    org_id  BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    day     DATE NOT NULL,
    used    INT NOT NULL,
    PRIMARY KEY (org_id, day)
);
-- NULL: the server's default quota (MUSTER_INVITE_DAILY_QUOTA).
ALTER TABLE organizations ADD COLUMN invite_daily_quota INT
    CONSTRAINT organizations_invite_quota_positive CHECK (invite_daily_quota > 0);

-- Self-join ("People can add themselves to this organization").
ALTER TABLE organizations ADD COLUMN join_domains TEXT[] NOT NULL DEFAULT '{}';
CREATE TABLE join_links (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- The link's token is HMAC(server key, nonce): shown again to admins, never stored.
    nonce        BYTEA NOT NULL,
    token_hash   BYTEA NOT NULL,
    created_by   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    disabled_at  TIMESTAMPTZ,
    CONSTRAINT join_links_token_hash_key UNIQUE (token_hash)
);
-- At most one working link per organization.
CREATE UNIQUE INDEX join_links_enabled_key ON join_links (org_id) WHERE disabled_at IS NULL;

-- A join through a link waits for the email confirmation before it counts.
CREATE TABLE link_joins (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    link_id        BIGINT NOT NULL REFERENCES join_links (id) ON DELETE CASCADE,
    org_id         BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email          TEXT NOT NULL,
    name           TEXT NOT NULL,
    -- NULL when the address already has an account (its password was checked instead).
    password_hash  TEXT,
    locale         TEXT NOT NULL,
    token_hash     BYTEA NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    confirmed_at   TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT link_joins_token_hash_key UNIQUE (token_hash),
    CONSTRAINT link_joins_email_lowercase CHECK (email = lower(email))
);
CREATE INDEX link_joins_link_idx ON link_joins (link_id) WHERE confirmed_at IS NOT NULL;

-- Who did what, when: visible to the organization's owners and admins.
CREATE TABLE audit_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    actor_id    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    actor_name  TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject     TEXT,
    detail      TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_org_idx ON audit_events (org_id, id DESC);
