-- Sessions a person can see and end: each gets an id to name it by (the token's hash is
-- never shown), when it was last used, and from which browser and address. Sessions end
-- after a time of disuse (idle) as well as at their absolute expiry.
ALTER TABLE sessions
    ADD COLUMN id             BIGINT GENERATED ALWAYS AS IDENTITY,
    ADD COLUMN last_seen_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD COLUMN user_agent     TEXT,
    ADD COLUMN client_address TEXT;
CREATE UNIQUE INDEX sessions_id_key ON sessions (id);
