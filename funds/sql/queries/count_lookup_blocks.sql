-- Bytes of the blocks of payment_rows that hold any of $columns: what warm_lookup_packed.sql or
-- warm_lookup_columns.sql would bring into memory (funds/household.py: warm checks it against
-- FUNDS_KIOSK_WARM_MB first). Blocks of long strings' overflow are not counted. Bytes.
with source as (
    select distinct block_id
    from pragma_storage_info('payment_rows')
    where list_contains($columns, column_name) and block_id >= 0
), size as (
    select any_value(block_size) as block_bytes from pragma_database_size() where database_name = current_database()
), final as (
    select (select count(*) from source) * (select block_bytes from size) as lookup_bytes
)
select * from final
