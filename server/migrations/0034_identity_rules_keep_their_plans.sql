-- Who is calling is read on every request, and two of its rules are SQL functions whose
-- body holds sub-selects: PostgreSQL cannot inline those, so it parsed and planned each
-- body again in every statement that called them (`sso_required_of` once per
-- membership). As PL/pgSQL functions they keep their plans for the connection's life,
-- as `invitations_used_today` and `subscription_stage` do (0021). Same rules, same results.
CREATE OR REPLACE FUNCTION has_second_factor(person bigint)
    RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM totp_factors WHERE user_id = person AND confirmed_at IS NOT NULL)
        OR EXISTS (SELECT 1 FROM passkeys WHERE user_id = person);
END
$$;

CREATE OR REPLACE FUNCTION sso_required_of(org bigint, email text)
    RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN EXISTS (
        SELECT 1 FROM org_sso s JOIN org_domains d ON d.org_id = s.org_id
        WHERE s.org_id = org AND s.required AND d.verified_at IS NOT NULL
          AND d.domain = split_part(email, '@', 2));
END
$$;
