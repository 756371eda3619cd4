-- API keys: an organization's machine credentials for the REST API (/api/v1). The key
-- itself is shown once; only its SHA-256 is kept. A key acts with its own role, which
-- its creator may not set above their own.

CREATE TABLE api_keys (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    key_hash      BYTEA NOT NULL,
    -- The first characters of the key, so people can tell their keys apart.
    prefix        TEXT NOT NULL,
    -- The key acts for its creator too: it stops when they leave the organization.
    created_by    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ,
    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash),
    CONSTRAINT api_keys_role_known CHECK (role IN ('OWNER', 'ADMIN', 'EDITOR', 'VIEWER')),
    CONSTRAINT api_keys_name_length CHECK (length(name) BETWEEN 1 AND 80)
);
CREATE INDEX api_keys_org_idx ON api_keys (org_id, created_at DESC);
