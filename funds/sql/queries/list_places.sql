-- Every township and village that has payments (for choosing where an inquiry comes from).
with source as (
    select distinct township, village from payments
),
final as (
    select township, village from source
)
select * from final order by township, village
