-- Per fund and year ($year null = all): allocated (transfers) vs paid to households and projects vs disclosed.
-- All amounts yuan, DECIMAL(18,2); differences are exact to the fen.
with catalogue as (
    select year, fund_code, any_value(fund_name) as fund_name, any_value(category) as category,
           any_value(department) as department
    from funds group by year, fund_code
),
alloc as (
    select year, fund_code, count(*) as allocations, sum(amount) as allocated_yuan,
           coalesce(sum(amount) filter (where paid_date is not null), 0) as transferred_yuan
    from allocations group by all
),
household as (
    select year, fund_code, count(*) as payments, sum(amount) as household_yuan,
           coalesce(sum(amount) filter (where paid_date is not null), 0) as household_paid_yuan
    from payments group by all
),
project as (
    select year, fund_code, count(*) as projects, sum(amount) as project_yuan,
           coalesce(sum(coalesce(paid_amount, case when paid_date is not null then amount end)), 0)
               as project_paid_yuan
    from projects group by all
),
keys as (
    select year, fund_code from catalogue union select year, fund_code from alloc
    union select year, fund_code from household union select year, fund_code from project
),
source as (
    select k.year, k.fund_code, c.fund_name, c.category, c.department,
           coalesce(a.allocations, 0) as allocations, coalesce(a.allocated_yuan, 0) as allocated_yuan,
           coalesce(a.transferred_yuan, 0) as transferred_yuan,
           coalesce(h.payments, 0) as payments, coalesce(h.household_yuan, 0) as household_yuan,
           coalesce(h.household_paid_yuan, 0) as household_paid_yuan,
           coalesce(p.projects, 0) as projects, coalesce(p.project_yuan, 0) as project_yuan,
           coalesce(p.project_paid_yuan, 0) as project_paid_yuan
    from keys k
    left join catalogue c using (year, fund_code)
    left join alloc a using (year, fund_code)
    left join household h using (year, fund_code)
    left join project p using (year, fund_code)
    where $year is null or k.year = $year
),
final as (
    select *,
           household_yuan + project_yuan as disclosed_yuan,
           household_paid_yuan + project_paid_yuan as paid_yuan,
           allocated_yuan - (household_yuan + project_yuan) as allocated_minus_disclosed,
           transferred_yuan - (household_paid_yuan + project_paid_yuan) as transferred_minus_paid,
           (household_yuan + project_yuan) - (household_paid_yuan + project_paid_yuan) as disclosed_unpaid_yuan
    from source
)
select * from final order by year, fund_code
