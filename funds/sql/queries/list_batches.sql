-- every batch, newest first (rows = data rows loaded)
with source as (
    select batch_id, kind, file_name, sha256, user_name, loaded_at, rows, warnings, status, replaces, superseded_by
    from batches
),
final as (
    select * from source order by batch_id desc
)
select * from final
