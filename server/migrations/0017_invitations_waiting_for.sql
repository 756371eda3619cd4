-- The invitations waiting for an account's answer, written once: open, to the account's
-- verified address, from an active organization it is not a member of yet. The bell
-- lists them (a page load reads them with the caller's identity, in one round trip),
-- and Join and Decline take one of them. Each row carries what the bell shows.
-- PostgreSQL inlines the function, so the pending-invitations index on email applies.
CREATE FUNCTION invitations_waiting_for(account_id bigint)
    RETURNS TABLE (id bigint, org_id bigint, email text, role text,
                   expires_at timestamptz, created_at timestamptz, org_name text,
                   region text, short_name text, inviter text)
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
        SELECT i.id, i.org_id, i.email, p.role, i.expires_at, i.created_at, o.name,
               o.region, o.short_name, inviter.name
        FROM users u
        JOIN invitations i ON i.email = u.email AND invitation_is_open(i)
        JOIN organizations o ON o.id = i.org_id AND o.status = 'active'
        JOIN people p ON p.org_id = i.org_id AND p.email = i.email
        LEFT JOIN users inviter ON inviter.id = i.invited_by
        WHERE u.id = account_id AND u.email_verified_at IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM memberships m
                          WHERE m.org_id = i.org_id AND m.user_id = u.id)
    $$;
