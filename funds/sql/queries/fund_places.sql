-- One fund of a year by place: by township ($township = ''), or by village within $township.
-- Household payments and projects together; amounts in yuan.
with paid as (
    select township, village, id_hash, amount, 1 as is_payment, 0 as is_project
    from payments where year = $year and fund_code = $fund_code
),
project as (
    select coalesce(township, '') as township, coalesce(village, '') as village, null::uhugeint as id_hash,
           amount, 0 as is_payment, 1 as is_project
    from projects where year = $year and fund_code = $fund_code
),
source as (
    select * from paid union all select * from project
),
final as (
    select case when $township = '' then township else village end as place,
           count(distinct id_hash) as households, sum(is_payment) as payments, sum(is_project) as projects,
           sum(amount) as amount
    from source
    where $township = '' or township = $township
    group by place
)
select * from final order by place
