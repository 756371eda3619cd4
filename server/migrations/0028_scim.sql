-- SCIM 2.0 provisioning: an organization's identity provider creates, updates and
-- deactivates people with a SCIM token, a kind of API key that works only on /scim/v2
-- (and a REST key only on /api/v1).
ALTER TABLE api_keys
    ADD COLUMN purpose TEXT NOT NULL DEFAULT 'rest'
        CONSTRAINT api_keys_purpose_known CHECK (purpose IN ('rest', 'scim'));

-- The identity provider's own id for a person (SCIM `externalId`).
ALTER TABLE people ADD COLUMN external_id TEXT;

-- A person the identity provider deleted: deactivated and no longer listed over SCIM
-- (the People page still shows them, deactivated). Creating them again brings them back.
ALTER TABLE people ADD COLUMN scim_removed_at TIMESTAMPTZ;
