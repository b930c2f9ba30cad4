-- Payment rows without their lookup_row (migration 0005): loaded since the last `funds optimize`.
-- None: a kiosk lookup may read lookup_household_packed.sql. Asked once per published snapshot.
with source as (
    select lookup_row is null as unpacked from payment_rows
),
final as (
    select count(*) filter (where unpacked) as unpacked_rows from source
)
select * from final
