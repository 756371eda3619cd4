-- Issue 4/4: pending invitations in the notification bell, live. Any change to an
-- invitation for an address that has an account notifies channel muster_user_events with
-- that account's id; every server instance LISTENs and wakes that person's open pages.
-- Statement-level, so Invite All's chunk of 1,000 costs one trigger call.

CREATE INDEX invitations_open_email_idx ON invitations (email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;

CREATE FUNCTION notify_invitation_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('muster_user_events', u.id::text)
    FROM (SELECT DISTINCT email FROM changed) c JOIN users u ON u.email = c.email;
    RETURN NULL;
END
$$;

CREATE TRIGGER invitations_notify_insert AFTER INSERT ON invitations
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION notify_invitation_changes();
CREATE TRIGGER invitations_notify_update AFTER UPDATE ON invitations
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION notify_invitation_changes();
