-- Limited self-join links: besides the organization's one link ("People can add
-- themselves"), named links, each with a role (VIEWER or EDITOR), an optional expiry
-- and an optional number of joins. Allowed Email Domain(s) and verified domains apply to
-- every link alike.
ALTER TABLE join_links
    ADD COLUMN name TEXT,
    ADD COLUMN role TEXT NOT NULL DEFAULT 'VIEWER',
    ADD COLUMN expires_at TIMESTAMPTZ,
    ADD COLUMN max_joins INT,
    ADD CONSTRAINT join_links_role_limited CHECK (role IN ('VIEWER', 'EDITOR')),
    ADD CONSTRAINT join_links_max_joins_positive CHECK (max_joins > 0),
    ADD CONSTRAINT join_links_name_sane CHECK (name IS NULL OR length(name) BETWEEN 1 AND 80);

-- At most one working unnamed link per organization (the switch); named links are many.
DROP INDEX join_links_enabled_key;
CREATE UNIQUE INDEX join_links_enabled_key ON join_links (org_id)
    WHERE disabled_at IS NULL AND name IS NULL;
CREATE INDEX join_links_org_idx ON join_links (org_id, id);
