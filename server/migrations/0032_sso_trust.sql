-- An organization's provider speaks only for the organization, and only for the issuer
-- it was when someone was linked: links are keyed by organization, issuer and subject,
-- and go when the issuer changes or single sign-on is turned off.
ALTER TABLE sso_identities ADD COLUMN issuer TEXT;
UPDATE sso_identities i SET issuer = s.issuer FROM org_sso s WHERE s.org_id = i.org_id;
DELETE FROM sso_identities WHERE issuer IS NULL;
ALTER TABLE sso_identities ALTER COLUMN issuer SET NOT NULL;
ALTER TABLE sso_identities DROP CONSTRAINT sso_identities_pkey;
ALTER TABLE sso_identities ADD CONSTRAINT sso_identities_pkey PRIMARY KEY (org_id, issuer, subject);
-- Whether the link came with a new account (just-in-time), which is limited per hour.
ALTER TABLE sso_identities ADD COLUMN created_account BOOLEAN NOT NULL DEFAULT false;

-- A host other than the issuer's that an OWNER confirmed for the provider's sign-in page.
ALTER TABLE org_sso ADD COLUMN sign_in_host TEXT;

-- A provider's answer for an address that already has an account: linked only when the
-- account's holder opens the mailed link in the browser that signed in at the provider.
-- Both secrets are stored as hashes; the request is single-use and expires.
CREATE TABLE sso_link_requests (
    token_hash   BYTEA PRIMARY KEY,
    browser_hash BYTEA NOT NULL,
    org_id       BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    issuer       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    next         TEXT NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    used_at      TIMESTAMPTZ
);
CREATE INDEX sso_link_requests_org ON sso_link_requests (org_id);
