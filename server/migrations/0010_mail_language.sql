-- The language of each queued mail, sent as its Content-Language header (mail queued
-- before this has none, and goes out without the header).
ALTER TABLE outbox_emails ADD COLUMN locale TEXT;
