-- Projects of a year with money and progress; amounts in yuan, progress = paid / approved (0..1).
with catalogue as (
    select fund_code, any_value(fund_name) as fund_name from funds where year = $year group by fund_code
),
source as (
    select * from projects where year = $year
),
final as (
    select s.project_code, s.project_name, coalesce(c.fund_name, s.fund_code) as fund_name, s.township, s.village,
           s.implementer, s.amount, coalesce(s.paid_amount, case when s.paid_date is not null then s.amount end, 0)
           as paid_amount, s.approved_date, s.paid_date, s.status
    from source s left join catalogue c using (fund_code)
)
select * from final order by project_code
