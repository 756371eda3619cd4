-- Importing people from a CSV file. Uploading a file checks it (the dry run) and keeps
-- each row with its outcome; "Import" then writes the rows to be added, all of them in
-- one transaction or none, in the background with progress. An import is kept 7 days.
CREATE TABLE people_imports (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_by   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    -- Who pressed "Import" (the import's actor in the audit log).
    started_by   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    file_name    TEXT NOT NULL,
    -- Invite the people added at once (through an Invite All batch), or later.
    invite_now   BOOLEAN NOT NULL,
    total        INT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'checked',
    -- Rows written so far, while importing (read by the page's progress).
    done         INT NOT NULL DEFAULT 0,
    heartbeat_at TIMESTAMPTZ,
    -- Why an import wrote nothing (a field error as JSON), and the line it stopped at.
    problem      TEXT,
    problem_line INT,
    checked_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at  TIMESTAMPTZ,
    CONSTRAINT people_imports_state_known
        CHECK (state IN ('checked', 'queued', 'importing', 'imported', 'failed')),
    CONSTRAINT people_imports_file_name_sane CHECK (length(file_name) BETWEEN 1 AND 200)
);
CREATE INDEX people_imports_org_idx ON people_imports (org_id, id DESC);
CREATE INDEX people_imports_waiting_idx ON people_imports (id)
    WHERE state IN ('queued', 'importing');

-- The file's rows, each with its outcome: add, unchanged, role_differs (already in the
-- organization), invalid, duplicate (of an earlier line), over_seats, over_quota.
-- Valid rows hold the values as Muster stores them; invalid ones as the file had them.
CREATE TABLE people_import_rows (
    import_id BIGINT NOT NULL REFERENCES people_imports (id) ON DELETE CASCADE,
    line      INT NOT NULL,
    name      TEXT NOT NULL,
    email     TEXT NOT NULL,
    role      TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    -- invalid: the field and its problem (JSON); duplicate: the first line;
    -- role_differs: the role in Muster.
    detail    TEXT,
    PRIMARY KEY (import_id, line),
    CONSTRAINT people_import_rows_outcome_known CHECK (outcome IN
        ('add', 'unchanged', 'role_differs', 'invalid', 'duplicate', 'over_seats', 'over_quota'))
);
CREATE INDEX people_import_rows_outcome_idx ON people_import_rows (import_id, outcome, line);
