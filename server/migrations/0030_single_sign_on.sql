-- Single sign-on with an organization's own OpenID provider (OpenID Connect, the
-- authorization code flow with PKCE). The client secret is sealed at rest.
CREATE TABLE org_sso (
    org_id               BIGINT PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    issuer               TEXT NOT NULL,
    client_id            TEXT NOT NULL,
    client_secret_sealed BYTEA NOT NULL,
    -- Members whose address is on a verified domain of the organization use it only
    -- after signing in through the provider (OWNERs keep a password way in).
    required             BOOLEAN NOT NULL DEFAULT false,
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Who the provider says someone is (`sub`, per issuer), and the account it signs in.
CREATE TABLE sso_identities (
    org_id     BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    subject    TEXT NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, subject)
);

CREATE INDEX sso_identities_user ON sso_identities (user_id);

-- The organization whose provider opened the session (sign-in steps carry it to the
-- session they open).
ALTER TABLE sessions ADD COLUMN sso_org_id BIGINT REFERENCES organizations (id) ON DELETE SET NULL;
