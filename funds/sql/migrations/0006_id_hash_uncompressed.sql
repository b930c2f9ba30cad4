-- 0006: payment_rows.id_hash is stored uncompressed. A kiosk lookup filters on id_hash; on a table
-- sorted by it (`funds optimize`) DuckDB skips every row group and, inside the one it reads, every
-- column segment whose min/max rule the person out. DuckDB's own choice for a sorted id_hash is
-- RLE (a person's rows are one run) in ~41k-row segments; uncompressed, a segment holds 16k rows,
-- so a lookup scans about half as many values. On 10M rows: the one-column lookup query 0.93 ->
-- 0.79 ms, the kiosk's whole lookup 1.39-1.49 -> 1.23-1.29 ms (p50, interleaved), for ~11 more
-- bytes a row on disk (~10% of an optimized file). An unsorted id_hash is uncompressed anyway.
-- DuckDB has no ALTER for a column's compression: the table is rewritten in its own order, with
-- the same columns in the same order; the views that read it bind it by name.
create table payment_rows_0006 (
    batch_id       integer not null,
    row_no         integer not null,
    year           smallint not null,
    fund_code      varchar not null,
    township       varchar not null,
    village        varchar not null,
    name           varchar not null,     -- PII: shown masked in public
    id_hash        uhugeint using compression uncompressed not null,  -- PII-derived: keyed hash
    id_masked      varchar not null,     -- 6 digits + ******** + 4
    household_no   varchar,
    quantity       decimal(18,4),
    rate           decimal(18,4),        -- yuan per unit
    amount         decimal(18,2) not null,  -- yuan
    approved_date  date not null,
    paid_date      date,
    account_masked varchar,              -- PII-derived: last 4 digits only
    remarks        varchar,
    row_hash       uhugeint not null,
    lookup_row     varchar               -- 0005: what a lookup shows, packed; holds the name
);
insert into payment_rows_0006 select * from payment_rows;
drop table payment_rows;
alter table payment_rows_0006 rename to payment_rows;
