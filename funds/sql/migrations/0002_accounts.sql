-- 0002: staff accounts (finance | auditor | admin), login throttling, and the audit log.
-- Passwords: argon2id encoded hashes only (argon2-cffi); no clear text is ever stored.
-- The audit log holds staff names and actions; details never carry villagers' personal data.

create table users (
    name          varchar primary key,
    role          varchar not null,        -- finance | auditor | admin
    password_hash varchar not null,        -- argon2id, "$argon2id$v=19$..."
    disabled      boolean not null default false,
    created_at    timestamp not null,
    failed_logins integer not null default 0,  -- consecutive failures since the last success
    locked_until  timestamp,               -- no login accepted before this time
    last_login    timestamp
);

create sequence audit_log_seq start 1;

create table audit_log (
    entry_id  bigint primary key default nextval('audit_log_seq'),
    acted_at  timestamp not null,
    user_name varchar not null,            -- the staff account that acted
    action    varchar not null,            -- e.g. login, upload-check, upload-load, user-add
    detail    varchar                      -- JSON object; no personal data
);
