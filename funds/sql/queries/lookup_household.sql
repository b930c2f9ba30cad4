-- Every payment to one person ($id_hash), all years, but only when $name matches a row of theirs:
-- a wrong name returns nothing, exactly like an unknown ID. Amounts in yuan; lag in calendar days.
with person as (
    select * from payments where id_hash = $id_hash
),
verified as (
    select count(*) > 0 as ok from person where name = $name
),
catalogue as (
    select year, fund_code, any_value(fund_name) as fund_name, any_value(category) as category
    from funds group by year, fund_code
),
final as (
    select p.fund_code, coalesce(c.fund_name, p.fund_code) as fund_name, c.category, p.year,
           p.amount, p.approved_date, p.paid_date, p.township, p.village,
           case when p.paid_date is not null then date_diff('day', p.approved_date, p.paid_date) end as lag_days,
           case when p.paid_date is null then date_diff('day', p.approved_date, $today) end as waiting_days
    from person p
    cross join verified v
    left join catalogue c on c.year = p.year and c.fund_code = p.fund_code
    where v.ok
)
select * from final order by year, approved_date, fund_code
