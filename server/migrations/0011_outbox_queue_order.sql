-- The outbox worker claims due mail in queue order (by id). Sent and failed mail stays as
-- history, so the primary key walk it used passed every old row on each claim: after
-- 900,000 delivered mails, each claim of 256 took hundreds of milliseconds. This index
-- holds only the queue.
CREATE INDEX outbox_emails_queue_idx ON outbox_emails (id) WHERE status = 'pending';
DROP INDEX outbox_emails_due_idx;
