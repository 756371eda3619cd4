-- Resend renews an invitation in place: it keeps its id (the REST API's handle) and gets
-- a new link and 30 more days. The links it had before are kept here (SHA-256 only), so
-- opening one says "this invitation was sent again" rather than "unknown link".
-- Invitations replaced before this migration stay as they were (revoked, replaced_at).
CREATE TABLE invitation_old_links (
    token_hash     BYTEA PRIMARY KEY,
    invitation_id  BIGINT NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
    replaced_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX invitation_old_links_invitation_idx ON invitation_old_links (invitation_id);
