-- Department budgets of a year, one line per item; budget and actual in yuan.
with source as (
    select * from budgets where year = $year
),
final as (
    select department, category, item, budget, actual from source
)
select * from final order by department, category, item
