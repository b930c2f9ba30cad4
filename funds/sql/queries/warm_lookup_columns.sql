-- What a kiosk lookup reads on a table not yet packed by `funds optimize` (lookup_household.sql):
-- its ten columns and id_hash, read once in full so that every block is in the server's memory
-- (funds/household.py: keep_warm). The figure itself is not used.
with source as (
    select batch_id, row_no, year, fund_code, township, village, amount, approved_date, paid_date, name, id_hash
    from payment_rows
), final as (
    select max(hash(batch_id, row_no, year, fund_code, township, village, amount, approved_date, paid_date,
                    name, id_hash)) as rows_read
    from source
)
select * from final
