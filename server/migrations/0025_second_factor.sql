-- A second factor: an authenticator app (TOTP, RFC 6238) and ten recovery codes.

-- The app's secret, sealed under a key derived from MUSTER_SECRET_KEY (a copy of the
-- database yields no secret). Unconfirmed while the person is setting it up.
CREATE TABLE totp_factors (
    user_id       BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed BYTEA NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    confirmed_at  TIMESTAMPTZ,
    -- The time step of the last code accepted: a code works once.
    last_step     BIGINT NOT NULL DEFAULT 0
);

-- Recovery codes, each SHA-256 of a random code shown once; each works once.
CREATE TABLE recovery_codes (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  BYTEA NOT NULL,
    used_at    TIMESTAMPTZ,
    PRIMARY KEY (user_id, code_hash)
);

-- A session opened after a second factor (or whose person set one up in it).
ALTER TABLE sessions ADD COLUMN second_factor BOOLEAN NOT NULL DEFAULT false;

-- Between the password and the second factor: a short-lived, single-use sign-in step.
CREATE TABLE sign_in_challenges (
    token_hash  BYTEA PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at  TIMESTAMPTZ NOT NULL,
    -- Where to go once signed in (a local path).
    next        TEXT NOT NULL DEFAULT '/'
);

-- Who in an organization must have passed a second factor to use it.
ALTER TABLE organizations ADD COLUMN require_second_factor TEXT NOT NULL DEFAULT 'nobody'
    CONSTRAINT organizations_require_second_factor_known
    CHECK (require_second_factor IN ('nobody', 'admins', 'everyone'));
