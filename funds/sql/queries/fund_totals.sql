-- Every fund of a year ($year) with its money: households and payments (household funds), projects
-- (project funds). Amounts in yuan, DECIMAL(18,2).
with catalogue as (
    select fund_code, any_value(fund_name) as fund_name, any_value(category) as category,
           any_value(department) as department
    from funds where year = $year group by fund_code
),
paid as (
    select fund_code, count(distinct id_hash) as households, count(*) as payments, sum(amount) as payments_yuan
    from payments where year = $year group by fund_code
),
project as (
    select fund_code, count(*) as projects, sum(amount) as projects_yuan
    from projects where year = $year group by fund_code
),
final as (
    select c.fund_code, c.fund_name, c.category, c.department,
           coalesce(p.households, 0) as households, coalesce(p.payments, 0) as payments,
           coalesce(j.projects, 0) as projects,
           coalesce(p.payments_yuan, 0) + coalesce(j.projects_yuan, 0) as amount
    from catalogue c
    left join paid p using (fund_code)
    left join project j using (fund_code)
)
select * from final order by fund_code
