-- The batches readers see: every batch not superseded by a corrected file.
with source as (
    select batch_id from live_batches
),
final as (
    select * from source order by batch_id
)
select * from final
