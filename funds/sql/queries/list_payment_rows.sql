-- payment rows named by $refs, a list of 'batch_id:row_no'; masked ID only, amounts in yuan
with source as (
    select p.*, f.fund_name
    from payments p
    left join (select year, fund_code, any_value(fund_name) as fund_name from funds group by all) f
        using (year, fund_code)
    where list_contains($refs, p.batch_id || ':' || p.row_no)
),
final as (
    select batch_id, row_no, year, fund_code, fund_name, township, village, name, id_masked, household_no,
           amount, approved_date, paid_date, account_masked, remarks
    from source
)
select * from final order by batch_id, row_no
