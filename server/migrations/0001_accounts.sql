-- Accounts, sessions, emailed one-time links, sign-in throttling, and the mail outbox.

CREATE TABLE users (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Stored trimmed and lowercased by the application (EmailAddress::parse).
    email             TEXT NOT NULL,
    name              TEXT NOT NULL,
    password_hash     TEXT NOT NULL,
    locale            TEXT NOT NULL DEFAULT 'en',
    email_verified_at TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_email_lowercase CHECK (email = lower(email)),
    CONSTRAINT users_locale_known CHECK (locale IN ('en', 'fr', 'de'))
);

CREATE TABLE sessions (
    -- SHA-256 of the cookie value; the value itself is never stored.
    token_hash   BYTEA PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

CREATE TABLE email_tokens (
    token_hash   BYTEA PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose      TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL,
    used_at      TIMESTAMPTZ,
    CONSTRAINT email_tokens_purpose_known CHECK (purpose IN ('verify_email', 'reset_password'))
);
CREATE INDEX email_tokens_user_purpose_idx ON email_tokens (user_id, purpose);

-- One row per failed sign-in, per scope ('account:<email>' and 'address:<ip>').
CREATE TABLE auth_failures (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scope      TEXT NOT NULL,
    failed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX auth_failures_scope_time_idx ON auth_failures (scope, failed_at);

-- Mail is written here in the same transaction as the change that causes it, and sent
-- by a background worker: nothing is lost when SMTP is down, nothing sent twice.
CREATE TABLE outbox_emails (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient        TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body_text        TEXT NOT NULL,
    body_html        TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending',
    attempts         INT NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at          TIMESTAMPTZ,
    CONSTRAINT outbox_emails_status_known CHECK (status IN ('pending', 'sent', 'failed'))
);
CREATE INDEX outbox_emails_due_idx ON outbox_emails (next_attempt_at) WHERE status = 'pending';
