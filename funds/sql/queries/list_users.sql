-- every account without its password hash, by name
with source as (
    select name, role, disabled, created_at, failed_logins, locked_until, last_login
    from users
),
final as (
    select * from source order by name
)
select * from final
