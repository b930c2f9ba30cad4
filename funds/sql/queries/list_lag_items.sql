-- Every approved item of one kind ($kind: payments | allocations | projects), optionally one $year (null = all),
-- with the grouping keys the lag report offers. Amounts in yuan; dates as DATE; deadline_days in days.
with catalogue as (
    select year, fund_code, any_value(fund_name) as fund_name, any_value(department) as department,
           any_value(deadline_days) as deadline_days
    from funds group by year, fund_code
),
source as (
    select 'payments' as kind, batch_id, row_no, year, fund_code, township, village,
           id_masked as label, amount, approved_date, paid_date
    from payments where $kind = 'payments'
    union all
    select 'allocations', batch_id, row_no, year, fund_code, township, null,
           coalesce(document_no || ' ', '') || recipient, amount, approved_date, paid_date
    from allocations where $kind = 'allocations'
    union all
    select 'projects', batch_id, row_no, year, fund_code, township, village,
           project_code || ' ' || project_name, amount, approved_date, paid_date
    from projects where $kind = 'projects'
),
final as (
    select s.kind, s.batch_id, s.row_no, s.year, s.fund_code, c.fund_name, c.department, s.township, s.village,
           strftime(s.approved_date, '%Y-%m') as month, s.label, s.amount, s.approved_date, s.paid_date,
           c.deadline_days
    from source s
    left join catalogue c on c.year = s.year and c.fund_code = s.fund_code
    where $year is null or s.year = $year
)
select * from final order by batch_id, row_no
