-- A village's public notice (公示) for a year: one line per payment, fund $fund_code or every fund ('').
-- The name leaves funds/ only masked (funds.public masks it); the ID is already stored masked. Amounts in yuan.
with catalogue as (
    select fund_code, any_value(fund_name) as fund_name from funds where year = $year group by fund_code
),
source as (
    select * from payments
    where year = $year and township = $township and village = $village and ($fund_code = '' or fund_code = $fund_code)
),
final as (
    select s.name, s.id_masked, s.fund_code, coalesce(c.fund_name, s.fund_code) as fund_name, s.amount,
           s.approved_date, s.paid_date
    from source s left join catalogue c using (fund_code)
)
select * from final order by fund_code, id_masked, approved_date
