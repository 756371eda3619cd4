-- Passkeys (WebAuthn): a second factor, and a sign-in without a password.

-- The random handle a person's passkeys carry (WebAuthn's user.id): not the account id,
-- which would tell an authenticator's holder how many accounts Muster has.
ALTER TABLE users ADD COLUMN passkey_handle BYTEA UNIQUE;

CREATE TABLE passkeys (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id BYTEA NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    -- The public key and its signature counter (webauthn-rs's `Passkey`).
    passkey       JSONB NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at  TIMESTAMPTZ
);
CREATE INDEX passkeys_user ON passkeys (user_id);

-- A WebAuthn ceremony between its two requests (any instance may answer the second):
-- single use, short-lived, found by the hash of a random token the page holds.
CREATE TABLE passkey_ceremonies (
    token_hash BYTEA PRIMARY KEY,
    -- The person registering or passing their second factor; NULL for a sign-in that
    -- lets the authenticator say who it is.
    user_id    BIGINT REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('register', 'second_factor', 'sign_in')),
    state      JSONB NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

-- Whether a person has a second factor: a confirmed authenticator app or a passkey.
CREATE FUNCTION has_second_factor(person BIGINT) RETURNS BOOLEAN
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM totp_factors WHERE user_id = person AND confirmed_at IS NOT NULL)
        OR EXISTS (SELECT 1 FROM passkeys WHERE user_id = person)
$$;
