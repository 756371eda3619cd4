-- An organization is active once it has been activated: `activated_at` says when, and
-- nothing else says whether. The `status` column said the same ('provisioning', then
-- 'active') and was kept in step by hand; `organization_is_active(o)` is the rule now,
-- written once. (An activation job's own status is the state of its work: running, done
-- or failed. Its last step activates the organization in the same transaction.)
UPDATE organizations SET activated_at = COALESCE(activated_at, created_at)
    WHERE status = 'active';
UPDATE organizations SET activated_at = NULL WHERE status <> 'active';

CREATE FUNCTION organization_is_active(o organizations)
    RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT o.activated_at IS NOT NULL $$;

CREATE OR REPLACE FUNCTION subscription_stage(s subscriptions)
    RETURNS text LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
        SELECT CASE
            WHEN EXISTS (SELECT 1 FROM organizations o
                         WHERE o.subscription_id = s.id AND organization_is_active(o))
                THEN 'active'
            WHEN EXISTS (SELECT 1 FROM activation_jobs j WHERE j.subscription_id = s.id)
                THEN 'activating'
            ELSE s.step
        END
    $$;

CREATE OR REPLACE FUNCTION invitations_waiting_for(account_id bigint)
    RETURNS TABLE (id bigint, org_id bigint, email text, role text,
                   expires_at timestamptz, created_at timestamptz, org_name text,
                   region text, short_name text, inviter text)
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
        SELECT i.id, i.org_id, i.email, p.role, i.expires_at, i.created_at, o.name,
               o.region, o.short_name, inviter.name
        FROM users u
        JOIN invitations i ON i.email = u.email AND invitation_is_open(i)
        JOIN organizations o ON o.id = i.org_id AND organization_is_active(o)
        JOIN people p ON p.org_id = i.org_id AND p.email = i.email
        LEFT JOIN users inviter ON inviter.id = i.invited_by
        WHERE u.id = account_id AND u.email_verified_at IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM memberships m
                          WHERE m.org_id = i.org_id AND m.user_id = u.id)
    $$;

ALTER TABLE organizations DROP COLUMN status;
