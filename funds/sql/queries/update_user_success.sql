-- a successful login: failures forgotten, time noted (DML)
update users set failed_logins = 0, locked_until = null, last_login = $now where name = $name
