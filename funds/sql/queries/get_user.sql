-- one account by name, with its hash (for login checks only; never shown)
with source as (
    select name, role, password_hash, disabled, created_at, failed_logins, locked_until, last_login
    from users
    where name = $name
),
final as (
    select * from source
)
select * from final
