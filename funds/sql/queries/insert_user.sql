-- a new account (DML: no CTE shape)
insert into users (name, role, password_hash, disabled, created_at, failed_logins)
values ($name, $role, $password_hash, false, $now, 0)
