-- disable or re-enable an account (DML)
update users set disabled = $disabled where name = $name
