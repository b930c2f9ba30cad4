-- a failed login: the new count of failures in a row and the lockout end (null = not locked) (DML)
update users set failed_logins = $failures, locked_until = $locked_until where name = $name
