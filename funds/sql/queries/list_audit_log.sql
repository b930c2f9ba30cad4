-- the newest audit entries first; $limit rows at most
with source as (
    select entry_id, acted_at, user_name, action, detail
    from audit_log
),
final as (
    select * from source order by entry_id desc limit $limit
)
select * from final
