-- Trust: sessions that end tell their open pages, so a bell stream stops after sign-out
-- or a password reset (the stream re-checks its session on every event of its person).
CREATE FUNCTION notify_session_ends() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('muster_user_events', user_id::text)
    FROM (SELECT DISTINCT user_id FROM ended) e;
    RETURN NULL;
END
$$;

CREATE TRIGGER sessions_notify_delete AFTER DELETE ON sessions
    REFERENCING OLD TABLE AS ended
    FOR EACH STATEMENT EXECUTE FUNCTION notify_session_ends();

-- Mail bodies carry live links: sealed at rest (body_sealed, under a key derived from
-- MUSTER_SECRET_KEY) and erased once delivered or given up on. Mail already sent keeps
-- no body; mail still queued from before is sent from its clear body, then erased.
ALTER TABLE outbox_emails
    ALTER COLUMN body_text DROP NOT NULL,
    ALTER COLUMN body_html DROP NOT NULL,
    ADD COLUMN body_sealed BYTEA,
    ADD COLUMN invitation_id BIGINT REFERENCES invitations (id) ON DELETE SET NULL;
UPDATE outbox_emails SET body_text = NULL, body_html = NULL WHERE status <> 'pending';
CREATE INDEX outbox_emails_invitation_idx ON outbox_emails (invitation_id)
    WHERE invitation_id IS NOT NULL;

-- An invitation whose mail could not be delivered (the outbox gave up after retrying
-- for days): it ends (revoked_at) and the person's row says "Not delivered".
ALTER TABLE invitations ADD COLUMN undelivered_at TIMESTAMPTZ;

-- Once the wizard's owner account exists, only the owner (signed in) or the browser that
-- created it (a cookie whose SHA-256 is kept here) may change the wizard.
ALTER TABLE subscriptions ADD COLUMN wizard_key_hash BYTEA;

-- Invite All run by someone other than an OWNER leaves OWNER-role people out; the People
-- page says how many, and why.
ALTER TABLE invite_batches ADD COLUMN left_out_owners INT NOT NULL DEFAULT 0;
