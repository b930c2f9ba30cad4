-- Payment rows without their lookup_row (migration 0005): loaded since the last `funds optimize`, or
-- sorted by a version before the migration. None: a kiosk lookup may read lookup_household_packed.sql.
-- Asked once per published snapshot.
-- A filter, not a projection of `lookup_row is null`: the filter is answered from the column's
-- statistics and validity (~1 ms at 10M rows), the projection reads every packed row (~300 ms).
with source as (
    select batch_id from payment_rows where lookup_row is null
),
final as (
    select count(*) as unpacked_rows from source
)
select * from final
