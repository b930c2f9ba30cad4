-- Anomaly leads for a person to review, one row per (lead, payment row); $year null = all years.
-- $factor: an amount above factor x the median is an outlier; $min_rows / $village_min_rows: rows needed
-- before a fund-year / a village says what "usual" is; $grace: days after 31 Dec a payment may still be made. grp separates leads of the same code, fund and person.
with base as (
    select *, coalesce(paid_date, approved_date) as event_date
    from payments where $year is null or year = $year
),
-- a fund whose people are usually paid several times a year (monthly allowances) is checked per month
cadence as (
    select year, fund_code, median(n) > 1 as periodic
    from (select year, fund_code, id_hash, count(*) as n from base group by all) group by all
),
dup as (
    select b.*, case when c.periodic then strftime(b.approved_date, '%Y-%m') else cast(b.year as varchar) end as period
    from base b join cadence c using (year, fund_code)
),
duplicate_payment as (
    select 'duplicate-payment' as code, fund_code, id_hash, any_value(id_masked) over w as id_masked, year,
           period as grp, batch_id, row_no,
           count(*) over w || ' payments in ' || period as detail
    from dup
    window w as (partition by fund_code, year, period, id_hash)
    qualify count(*) over w > 1
),
person as (
    select id_hash, count(distinct name) as names, count(distinct township || '/' || village) as places,
           mode(name) as usual_name, mode(township || '/' || village) as usual_place,
           string_agg(distinct left(name, 1) || repeat('*', length(name) - 1), ', ') as masked_names,
           string_agg(distinct township || village, ', ') as villages
    from base group by id_hash
),
id_name_conflict as (
    select 'id-name-conflict', coalesce(min(b.fund_code) filter (where b.name <> p.usual_name) over w, b.fund_code),
           b.id_hash, b.id_masked, b.year, '', b.batch_id, b.row_no,
           p.names || ' names: ' || p.masked_names
    from base b join person p using (id_hash) where p.names > 1
    window w as (partition by b.id_hash)
),
id_two_villages as (
    select 'id-two-villages',
           coalesce(min(b.fund_code) filter (where b.township || '/' || b.village <> p.usual_place) over w, b.fund_code),
           b.id_hash, b.id_masked, b.year, '', b.batch_id, b.row_no,
           p.places || ' villages: ' || p.villages
    from base b join person p using (id_hash) where p.places > 1
    window w as (partition by b.id_hash)
),
usual as (
    select year, fund_code, median(amount) as fy_median, count(*) as fy_rows from base group by all
),
usual_village as (
    select year, fund_code, township, village, median(amount) as v_median, count(*) as v_rows from base group by all
),
amount_outlier as (
    select 'amount-outlier', b.fund_code, b.id_hash, b.id_masked, b.year, b.batch_id || ':' || b.row_no,
           b.batch_id, b.row_no,
           'amount ' || b.amount || ' yuan; fund-year median ' || u.fy_median
               || coalesce('; village median ' || case when v.v_rows >= $village_min_rows then v.v_median end, '')
    from base b
    join usual u using (year, fund_code)
    join usual_village v using (year, fund_code, township, village)
    where (u.fy_rows >= $min_rows and b.amount > $factor * u.fy_median)
       or (v.v_rows >= $village_min_rows and b.amount > $factor * v.v_median)
),
flagged as (
    select b.*, f.flag, f.date as flag_date
    from base b join people_flags f using (id_hash)
),
after_death as (
    select 'after-death', fund_code, id_hash, id_masked, year, '', batch_id, row_no,
           'paid ' || event_date || ' after death on ' || flag_date
    from flagged where flag = 'deceased' and event_date > flag_date
),
official as (
    select 'official', fund_code, id_hash, id_masked, year, '', batch_id, row_no,
           'listed public official since ' || flag_date || '; paid ' || event_date
    from flagged where flag = 'official' and event_date >= flag_date
),
after_year_end as (
    select 'after-year-end', fund_code, id_hash, id_masked, year, '', batch_id, row_no,
           case when approved_date > make_date(year, 12, 31) then 'approved ' || approved_date
                else 'paid ' || paid_date end || ' after the end of ' || year
    from base where approved_date > make_date(year, 12, 31) or paid_date > make_date(year, 12, 31) + to_days($grace)
),
-- the pipeline rejects these; kept so rows loaded by other means are still caught
paid_before_approval as (
    select 'paid-before-approval', fund_code, id_hash, id_masked, year, '', batch_id, row_no,
           'paid ' || paid_date || ' before approval ' || approved_date
    from base where paid_date < approved_date
),
final as (
    select * from duplicate_payment
    union all select * from id_name_conflict
    union all select * from id_two_villages
    union all select * from amount_outlier
    union all select * from after_death
    union all select * from official
    union all select * from after_year_end
    union all select * from paid_before_approval
)
select * from final order by code, fund_code, id_masked, batch_id, row_no
