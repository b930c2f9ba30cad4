-- What a kiosk lookup reads on a packed table (lookup_household_packed.sql): id_hash and
-- lookup_row, read once in full so that every block of both is in the server's memory
-- (funds/household.py: keep_warm). The figures themselves are not used.
with source as (
    select id_hash, lookup_row from payment_rows
), final as (
    select max(hash(id_hash)) as id_hashes, max(strlen(lookup_row)) as packed_bytes from source
)
select * from final
