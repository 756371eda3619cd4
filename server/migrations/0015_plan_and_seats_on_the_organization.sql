-- Plan and seats of a live organization are on `organizations` (read by the seat and
-- plan checks). The billing account copied them and nothing read the copy; it keeps
-- what is its own: whether the organization is billed and when a trial ends.
-- (A subscription's plan and seats are the offer the wizard shows; the organization
-- takes them when it is created, and from then on only the organization's count.)
ALTER TABLE billing_accounts DROP COLUMN plan;
ALTER TABLE billing_accounts DROP COLUMN seats;
