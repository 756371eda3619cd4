-- The invitation rules, written once. Every query says `invitation_is_open(i)` or
-- `invitation_is_pending(i)`; PostgreSQL inlines both, so indexes still apply.
--
-- Pending: neither accepted nor revoked (nor declined, nor ended as undeliverable:
-- those set revoked_at). A person has at most one pending invitation per organization,
-- and the unique index below says so with the same function. A pending invitation that
-- expired is sent again in place (same row, new link), never duplicated.
CREATE FUNCTION invitation_is_pending(accepted_at timestamptz, revoked_at timestamptz)
    RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT accepted_at IS NULL AND revoked_at IS NULL $$;

CREATE FUNCTION invitation_is_pending(i invitations)
    RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT invitation_is_pending(i.accepted_at, i.revoked_at) $$;

-- Open: pending and not expired; the link works, the bell shows it, it holds a seat.
-- (Expiry depends on the clock, so no index can state it: that is why uniqueness is over
-- pending invitations.)
CREATE FUNCTION invitation_is_open(i invitations)
    RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT invitation_is_pending(i.accepted_at, i.revoked_at) AND i.expires_at > now() $$;

DROP INDEX invitations_open_key;
CREATE UNIQUE INDEX invitations_pending_key ON invitations (org_id, email)
    WHERE invitation_is_pending(accepted_at, revoked_at);
DROP INDEX invitations_open_email_idx;
CREATE INDEX invitations_pending_email_idx ON invitations (email)
    WHERE invitation_is_pending(accepted_at, revoked_at);
