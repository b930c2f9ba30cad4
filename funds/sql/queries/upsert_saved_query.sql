-- keep one query ($name, $sql, $description) saved by $user at $at; saving a name again replaces it
insert or replace into saved_queries (name, description, sql, created_by, created_at)
with source as (
    select $name as name, $description as description, $sql as sql, $user as created_by, $at as created_at
),
final as (
    select * from source
)
select * from final
