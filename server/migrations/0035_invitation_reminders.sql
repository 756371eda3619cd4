-- Invitations that do not die unseen: a reminder before a pending invitation expires.

-- Each organization's reminder days (how many days before expiry; by default 7 and 1;
-- empty: no reminders). An organization without a row has the default. Written by the
-- invitations feature alone.
CREATE TABLE org_invitation_settings (
    org_id         BIGINT PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    reminder_days  INT[] NOT NULL,
    CONSTRAINT org_invitation_settings_days_sane CHECK (
        cardinality(reminder_days) <= 3
        AND 1 <= ALL (reminder_days) AND 29 >= ALL (reminder_days))
);

-- The reminders sent: at most one per invitation, expiry and planned day (an invitation
-- extended or sent again has new planned times). Each reminder carries a link of its own
-- (the first mail's link keeps working too); it works while the invitation is open and
-- stops, like the first link, when the invitation is sent again (it then moves to
-- invitation_old_links, which says "replaced").
CREATE TABLE invitation_reminders (
    invitation_id  BIGINT NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
    expires_at     TIMESTAMPTZ NOT NULL,
    days_before    INT NOT NULL,
    token_hash     BYTEA NOT NULL UNIQUE,
    sent_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (invitation_id, expires_at, days_before)
);

-- The reminder round looks for pending invitations by expiry.
CREATE INDEX invitations_pending_expiry_idx ON invitations (expires_at)
    WHERE invitation_is_pending(accepted_at, revoked_at);
