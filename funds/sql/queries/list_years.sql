-- Years that have a fund catalogue, newest first.
with source as (
    select distinct year from funds
),
final as (
    select year from source
)
select * from final order by year desc
