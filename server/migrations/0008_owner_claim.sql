-- The wizard never says whether an address has an account. When the owner's address
-- (other than the contact's) belongs to an account and its password was not given,
-- the wizard goes on as for a new account and the account's holder is asked by mail
-- to agree: until then the claim waits here (the link's SHA-256 only), and "Activate
-- Now" waits for the owner's address to be confirmed, exactly as for a new account.
ALTER TABLE subscriptions
    ADD COLUMN owner_claim_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN owner_claim_name TEXT,
    ADD COLUMN owner_claim_hash BYTEA;
