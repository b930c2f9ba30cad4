-- the newest upload attempts first (loaded, rejected, already loaded); $limit rows at most
with source as (
    select attempt_id, attempted_at, kind, file_name, user_name, status, batch_id, rows, errors
    from ingest_log
),
final as (
    select * from source order by attempt_id desc limit $limit
)
select * from final
