-- Verified domains: an organization proves it holds a domain by publishing a DNS TXT
-- record. A domain is verified for one organization at a time.
CREATE TABLE org_domains (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    domain TEXT NOT NULL CHECK (domain = lower(domain) AND length(domain) <= 253),
    -- Published in the DNS, so not a secret.
    token TEXT NOT NULL,
    added_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    verified_at TIMESTAMPTZ,
    checked_at TIMESTAMPTZ,
    -- What the last look-up found instead of the record: missing, mismatch,
    -- unreachable or taken.
    problem TEXT CHECK (problem IN ('missing', 'mismatch', 'unreachable', 'taken')),
    -- Since when the look-ups of a verified domain fail.
    failing_since TIMESTAMPTZ,
    UNIQUE (org_id, domain)
);

CREATE UNIQUE INDEX org_domains_verified_once ON org_domains (domain)
    WHERE verified_at IS NOT NULL;
CREATE INDEX org_domains_due ON org_domains (checked_at);
