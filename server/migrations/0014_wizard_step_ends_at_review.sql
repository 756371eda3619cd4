-- The wizard's saved step is only where the wizard is: region, account, invite, review.
-- "Activating" and "active" were also stored here, beside the activation job that says
-- the same (it exists; it made an active organization). Now they are derived from it by
-- subscription_stage(s), and nothing keeps two copies in step.
UPDATE subscriptions SET step = 'review' WHERE step IN ('activating', 'active');
ALTER TABLE subscriptions DROP CONSTRAINT subscriptions_step_known;
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_step_known
    CHECK (step IN ('region', 'account', 'invite', 'review'));

-- Where a subscription is: its wizard step, then 'activating' once "Activate Now" started
-- the job, then 'active' once that made its organization live.
CREATE FUNCTION subscription_stage(s subscriptions)
    RETURNS text LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
        SELECT CASE
            WHEN EXISTS (SELECT 1 FROM organizations o
                         WHERE o.subscription_id = s.id AND o.status = 'active') THEN 'active'
            WHEN EXISTS (SELECT 1 FROM activation_jobs j WHERE j.subscription_id = s.id)
                THEN 'activating'
            ELSE s.step
        END
    $$;
