-- a new password hash; clears failures and any lockout (DML)
update users set password_hash = $password_hash, failed_logins = 0, locked_until = null where name = $name
