-- 0005: payment_rows.lookup_row, the columns a kiosk lookup shows, packed as one JSON array.
-- A lookup of one person costs DuckDB a fixed ~1 ms plus ~0.1 ms for every column it fetches
-- (each column's compressed segment is opened for a handful of rows): one packed column
-- instead of ten makes it about twice as fast. `funds optimize` fills it as it rewrites the
-- rows in id_hash order; a load leaves it NULL (it would cost every ingest, and lookups on
-- an as-loaded table read a row group per batch anyway). Derived data, never loaded from a
-- sheet: the `payments` view below leaves it out, and so do loads (funds/db.py DERIVED_COLUMNS).
-- It holds the name: a PII column like `name` itself.
alter table payment_rows add column lookup_row varchar;

-- [batch_id, row_no, year, fund_code, township, village, amount (yuan, as text: exact),
--  approved_date, paid_date, name]; read back by funds/household.py
create macro lookup_row(batch_id, row_no, year, fund_code, township, village, amount, approved_date, paid_date,
                        name) as
    json_array(batch_id, row_no, year, fund_code, township, village, cast(amount as varchar), approved_date,
               paid_date, name)::varchar;

create or replace view payments as
    select * exclude (row_hash, lookup_row) from payment_rows where batch_id in (select batch_id from live_batches);
