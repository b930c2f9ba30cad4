-- Each fund's name and category per year, from the live catalogue (any one when a fund was loaded twice).
with source as (
    select year, fund_code, fund_name, category from funds
),
final as (
    select year, fund_code, any_value(fund_name) as fund_name, any_value(category) as category
    from source group by year, fund_code
)
select * from final
