-- the auditors' saved queries, by name
with source as (
    select name, description, sql, created_by, created_at from saved_queries
),
final as (
    select * from source
)
select * from final order by name
