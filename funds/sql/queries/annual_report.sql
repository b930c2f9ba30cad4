-- The annual disclosure figures for one year ($year). Amounts in yuan, DECIMAL(18,2).
with catalogue as (
    select
        count(*) as funds,
        count(*) filter (where category = 'household') as household_funds,
        count(*) filter (where category = 'project') as project_funds
    from funds where year = $year
),
household as (
    select count(*) as payments, coalesce(sum(amount), 0) as payments_yuan,
           count(*) filter (where paid_date is null) as payments_unpaid,
           count(distinct id_hash) as people
    from payments where year = $year
),
project as (
    select count(*) as projects, coalesce(sum(amount), 0) as projects_yuan
    from projects where year = $year
),
budget as (
    select count(distinct department) as departments, coalesce(sum(budget), 0) as budgets_yuan,
           coalesce(sum(actual), 0) as actual_yuan
    from budgets where year = $year
),
transfer as (
    select count(*) as allocations, coalesce(sum(amount), 0) as allocations_yuan,
           count(*) filter (where paid_date is null) as allocations_unpaid
    from allocations where year = $year
),
final as (
    select * from catalogue, household, project, budget, transfer
)
select * from final
