-- one audit entry (DML)
insert into audit_log (acted_at, user_name, action, detail) values ($now, $user_name, $action, $detail)
