-- Exports of the audit log: a filtered range written as CSV or JSON lines by a
-- background worker, in parts (so the page can show progress and a download streams
-- them in order). Kept 7 days.
CREATE TABLE audit_exports (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    requested_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    requested_by_name TEXT NOT NULL,
    format       TEXT NOT NULL,
    -- The filter as the audit page's address had it (see AuditFilter).
    actor        TEXT NOT NULL DEFAULT '',
    action       TEXT NOT NULL DEFAULT '',
    from_day     TEXT NOT NULL DEFAULT '',
    to_day       TEXT NOT NULL DEFAULT '',
    -- The newest entry when it was asked for (its own entry): later ones are not in it.
    up_to_id     BIGINT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'queued',
    total        BIGINT,
    done         BIGINT NOT NULL DEFAULT 0,
    bytes        BIGINT NOT NULL DEFAULT 0,
    heartbeat_at TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at  TIMESTAMPTZ,
    CONSTRAINT audit_exports_format_known CHECK (format IN ('csv', 'jsonl')),
    CONSTRAINT audit_exports_state_known CHECK (state IN ('queued', 'running', 'done', 'failed'))
);
CREATE INDEX audit_exports_org_idx ON audit_exports (org_id, id DESC);
CREATE INDEX audit_exports_waiting_idx ON audit_exports (id) WHERE state IN ('queued', 'running');

CREATE TABLE audit_export_parts (
    export_id BIGINT NOT NULL REFERENCES audit_exports (id) ON DELETE CASCADE,
    part      INT NOT NULL,
    data      BYTEA NOT NULL,
    PRIMARY KEY (export_id, part)
);
