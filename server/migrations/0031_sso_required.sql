-- Whether an organization requires single sign-on of an address: it set single sign-on
-- up, requires it, and verified the address's domain. (OWNERs are exempt: callers
-- check the role.)
CREATE FUNCTION sso_required_of(org BIGINT, email TEXT) RETURNS BOOLEAN
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM org_sso s JOIN org_domains d ON d.org_id = s.org_id
        WHERE s.org_id = org AND s.required AND d.verified_at IS NOT NULL
          AND d.domain = split_part(email, '@', 2))
$$;

-- A sign-in through a provider that still asks for the person's second factor: the
-- session it opens afterwards counts as opened through that organization's provider.
ALTER TABLE sign_in_challenges
    ADD COLUMN sso_org_id BIGINT REFERENCES organizations (id) ON DELETE CASCADE;
