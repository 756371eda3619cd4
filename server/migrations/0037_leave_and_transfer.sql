-- Leave and transfer. A member leaves an organization (never its last OWNER); an OWNER
-- offers ownership to a member, who accepts or declines in their bell.

-- What the bell tells a person besides invitations: a member left an organization they
-- own; their offer of ownership was accepted or declined. Written by notifications/.
CREATE TABLE user_notes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id      BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    -- Who it is about (a name, or an address).
    subject     TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    read_at     TIMESTAMPTZ,
    CONSTRAINT user_notes_kind_known
        CHECK (kind IN ('member_left', 'ownership_accepted', 'ownership_declined'))
);
CREATE INDEX user_notes_unread_idx ON user_notes (user_id, id) WHERE read_at IS NULL;

-- An OWNER's offer of ownership to a member: nothing changes until they accept; the
-- OWNER chose the role they keep. At most one open offer per organization. Written by
-- orgs/.
CREATE TABLE ownership_offers (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    from_user    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    to_user      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_after   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    answered_at  TIMESTAMPTZ,
    accepted     BOOLEAN,
    CONSTRAINT ownership_offers_role_known
        CHECK (role_after IN ('OWNER', 'ADMIN', 'EDITOR', 'VIEWER')),
    CONSTRAINT ownership_offers_not_to_oneself CHECK (from_user <> to_user)
);
CREATE UNIQUE INDEX ownership_offers_open_key ON ownership_offers (org_id)
    WHERE answered_at IS NULL;
CREATE INDEX ownership_offers_to_idx ON ownership_offers (to_user) WHERE answered_at IS NULL;

-- Both wake the person's open pages, as invitations do.
CREATE FUNCTION notify_user_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('muster_user_events', NEW.user_id::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER user_notes_notify AFTER INSERT ON user_notes
    FOR EACH ROW EXECUTE FUNCTION notify_user_note();

CREATE FUNCTION notify_ownership_offer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('muster_user_events', NEW.to_user::text);
    PERFORM pg_notify('muster_user_events', NEW.from_user::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER ownership_offers_notify AFTER INSERT OR UPDATE ON ownership_offers
    FOR EACH ROW EXECUTE FUNCTION notify_ownership_offer();
