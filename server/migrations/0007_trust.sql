-- Trust: sessions that end tell their open pages, so a bell stream stops after sign-out
-- or a password reset (the stream re-checks its session on every event of its person).
CREATE FUNCTION notify_session_ends() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('muster_user_events', user_id::text)
    FROM (SELECT DISTINCT user_id FROM ended) e;
    RETURN NULL;
END
$$;

CREATE TRIGGER sessions_notify_delete AFTER DELETE ON sessions
    REFERENCING OLD TABLE AS ended
    FOR EACH STATEMENT EXECUTE FUNCTION notify_session_ends();
