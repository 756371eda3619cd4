//! Integration tests: the whole server over HTTP, against a real PostgreSQL database per
//! test and a real SMTP sink. One test binary, so a change links it once, not per file.

mod common;

mod accounts;
mod activation;
mod audit_export;
mod bundle;
mod domains;
mod faults;
mod housekeeping;
mod import;
mod invitations;
mod joining;
mod leave;
mod migrations;
mod notifications;
mod observe;
mod outbox;
mod pages;
mod paging;
mod passkeys;
mod people;
mod people_actions;
mod plans;
mod production;
mod reminders;
mod rest_api;
mod rest_contract;
mod review;
mod roles;
mod scim;
mod second_factor;
mod security;
mod sessions;
mod sso;
