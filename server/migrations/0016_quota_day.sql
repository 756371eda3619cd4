-- The daily invitation quota, written once: a day is a UTC day (quota_day), and what an
-- organization used of it is invitations_used_today(org). Taking from the quota and
-- showing it use the same two functions.
CREATE FUNCTION quota_day()
    RETURNS date LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT (now() AT TIME ZONE 'UTC')::date $$;

CREATE FUNCTION invitations_used_today(org bigint)
    RETURNS int LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
        SELECT COALESCE((SELECT used FROM invite_quota_usage
                         WHERE org_id = org AND day = quota_day()), 0)
    $$;
