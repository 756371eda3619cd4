-- When the session's holder last proved who they are (signing in with a password, a
-- passkey, a second factor or a provider; or "Confirm it's you"). Adding or removing a
-- factor needs a proof of the last few minutes: a session found open on someone's
-- computer cannot give itself a way back in.
ALTER TABLE sessions ADD COLUMN proven_at TIMESTAMPTZ NOT NULL DEFAULT now();
UPDATE sessions SET proven_at = created_at;

-- The last sign-in with the password: a password reset offers to remove the factors
-- added since (someone who got in may have added one to keep a way back).
ALTER TABLE users ADD COLUMN password_signed_in_at TIMESTAMPTZ;
