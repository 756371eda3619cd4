-- The second security review.
-- Known-device cookies carry the account's device epoch: a password reset and "sign out
-- everywhere else" raise it, and every cookie issued before stops counting as known.
ALTER TABLE users ADD COLUMN device_epoch INTEGER NOT NULL DEFAULT 0;

-- API key names become the inviter's name in mail: no control characters.
UPDATE api_keys SET name = btrim(regexp_replace(name, '[[:cntrl:]]+', ' ', 'g'))
WHERE name ~ '[[:cntrl:]]';
UPDATE api_keys SET name = 'API key' WHERE name = '';

-- Housekeeping finds accounts never confirmed by their age.
CREATE INDEX users_unconfirmed_created_idx ON users (created_at) WHERE email_verified_at IS NULL;
