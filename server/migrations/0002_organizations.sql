-- Subscriptions (sold by operators), the activation wizard's saved progress, the
-- activation job, and what it creates: organizations, memberships, features, billing
-- and invitations.

CREATE TABLE subscriptions (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_name      TEXT NOT NULL,
    contact_email     TEXT NOT NULL,
    contact_locale    TEXT NOT NULL DEFAULT 'en',
    plan              TEXT NOT NULL,
    products          TEXT[] NOT NULL,
    trial             BOOLEAN NOT NULL DEFAULT false,
    seats             INT NOT NULL,
    is_demo           BOOLEAN NOT NULL DEFAULT false,
    -- SHA-256 of the activation link's token; the token itself is only in the email.
    token_hash        BYTEA NOT NULL,
    token_expires_at  TIMESTAMPTZ NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Wizard progress: the furthest step reached and what was entered so far.
    step              TEXT NOT NULL DEFAULT 'region',
    region            TEXT,
    owner_user_id     BIGINT REFERENCES users (id),
    org_name          TEXT,
    CONSTRAINT subscriptions_token_hash_key UNIQUE (token_hash),
    CONSTRAINT subscriptions_plan_known CHECK (plan IN ('free', 'premium')),
    CONSTRAINT subscriptions_step_known
        CHECK (step IN ('region', 'account', 'invite', 'review', 'activating', 'active')),
    CONSTRAINT subscriptions_seats_positive CHECK (seats > 0),
    CONSTRAINT subscriptions_contact_locale_known CHECK (contact_locale IN ('en', 'fr', 'de'))
);

-- People to invite, chosen in the wizard before the organization exists.
CREATE TABLE activation_invites (
    subscription_id  BIGINT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    email            TEXT NOT NULL,
    role             TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (subscription_id, email),
    CONSTRAINT activation_invites_role_known CHECK (role IN ('OWNER', 'ADMIN', 'EDITOR', 'VIEWER'))
);

-- One job per subscription: the unique key is what makes "Activate Now" idempotent.
CREATE TABLE activation_jobs (
    id                      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id         BIGINT NOT NULL REFERENCES subscriptions (id),
    -- Known from the first click, so support can be given an ID even if creation fails.
    organization_public_id  TEXT NOT NULL DEFAULT gen_random_uuid()::text,
    status                  TEXT NOT NULL DEFAULT 'running',
    done_steps              TEXT[] NOT NULL DEFAULT '{}',
    -- Failed attempts at the step after the last one done.
    attempts                INT NOT NULL DEFAULT 0,
    next_attempt_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error              TEXT,
    created_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at             TIMESTAMPTZ,
    CONSTRAINT activation_jobs_subscription_key UNIQUE (subscription_id),
    CONSTRAINT activation_jobs_status_known CHECK (status IN ('running', 'done', 'failed'))
);
CREATE INDEX activation_jobs_due_idx ON activation_jobs (next_attempt_at) WHERE status = 'running';

CREATE TABLE organizations (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id        TEXT NOT NULL,
    subscription_id  BIGINT REFERENCES subscriptions (id),
    name             TEXT NOT NULL,
    -- Permanent: derived once from the company name (see app::activation::short_name).
    short_name       TEXT NOT NULL,
    region           TEXT NOT NULL,
    plan             TEXT NOT NULL,
    trial            BOOLEAN NOT NULL,
    seats            INT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'provisioning',
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    activated_at     TIMESTAMPTZ,
    CONSTRAINT organizations_public_id_key UNIQUE (public_id),
    CONSTRAINT organizations_subscription_key UNIQUE (subscription_id),
    CONSTRAINT organizations_region_short_name_key UNIQUE (region, short_name),
    CONSTRAINT organizations_short_name_format
        CHECK (short_name ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(short_name) <= 60),
    CONSTRAINT organizations_plan_known CHECK (plan IN ('free', 'premium')),
    CONSTRAINT organizations_status_known CHECK (status IN ('provisioning', 'active'))
);

CREATE TABLE memberships (
    org_id      BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id),
    CONSTRAINT memberships_role_known CHECK (role IN ('OWNER', 'ADMIN', 'EDITOR', 'VIEWER'))
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE org_features (
    org_id        BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    product       TEXT NOT NULL,
    activated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, product)
);

CREATE TABLE billing_accounts (
    org_id         BIGINT PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    plan           TEXT NOT NULL,
    -- A trial is recorded as not billed.
    billed         BOOLEAN NOT NULL,
    trial_ends_at  TIMESTAMPTZ,
    seats          INT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE invitations (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    role         TEXT NOT NULL,
    token_hash   BYTEA NOT NULL,
    invited_by   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at      TIMESTAMPTZ,
    expires_at   TIMESTAMPTZ NOT NULL,
    accepted_at  TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ,
    CONSTRAINT invitations_token_hash_key UNIQUE (token_hash),
    CONSTRAINT invitations_role_known CHECK (role IN ('OWNER', 'ADMIN', 'EDITOR', 'VIEWER')),
    CONSTRAINT invitations_email_lowercase CHECK (email = lower(email))
);
-- At most one open invitation per person and organization.
CREATE UNIQUE INDEX invitations_open_key ON invitations (org_id, email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;
