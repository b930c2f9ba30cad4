-- Paid transfers of one year ($year) counted by calendar days from approval to payment.
with source as (
    select date_diff('day', approved_date, paid_date) as lag_days
    from allocations where year = $year and paid_date is not null
),
final as (
    select lag_days, count(*) as n from source group by lag_days
)
select * from final order by lag_days
