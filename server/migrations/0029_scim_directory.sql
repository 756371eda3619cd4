-- What an identity provider sends about a person, kept as sent: SCIM `userName` (its
-- login name, which need not be the email address) and `displayName` and `name`. The
-- People page shows one name, worked out from these.
ALTER TABLE people
    ADD COLUMN scim_user_name TEXT,
    ADD COLUMN scim_profile JSONB;

CREATE UNIQUE INDEX people_scim_user_name_key
    ON people (org_id, lower(scim_user_name)) WHERE scim_user_name IS NOT NULL;

-- The provider's own groups, beside the four role groups (owner, admin, editor, viewer)
-- whose membership sets a person's role. These groups grant nothing: they are kept so
-- that the provider's directory and Muster's agree.
CREATE TABLE scim_groups (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    display_name TEXT NOT NULL,
    external_id  TEXT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX scim_groups_name_key ON scim_groups (org_id, lower(display_name));

CREATE TABLE scim_group_members (
    group_id  BIGINT NOT NULL REFERENCES scim_groups (id) ON DELETE CASCADE,
    person_id BIGINT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, person_id)
);

CREATE INDEX scim_group_members_person ON scim_group_members (person_id);
