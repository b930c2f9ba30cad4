-- Rewrite payment_rows in id_hash order (then batch, then spreadsheet row), so that a kiosk lookup's
-- filter on id_hash prunes to one row group of the whole table instead of one per batch.
-- Every row is kept, superseded batches too: `--replace` keeps the old batch as history. Each row gets
-- its lookup_row (migration 0005), the kiosk's columns packed for a one-column lookup.
-- Runs inside the caller's transaction; the unsorted copy is a temp table (spills to disk if large).
create temp table unsorted_payment_rows as select * from payment_rows;
delete from payment_rows;
-- lookup_row is computed on the sorted rows, not before the sort: in the sort it would be ~90 more
-- bytes a row to spill (100M rows: the rewrite's temp files outgrew 26 GB)
insert into payment_rows
    select * replace (lookup_row(batch_id, row_no, year, fund_code, township, village, amount, approved_date,
                                 paid_date, name) as lookup_row)
    from (select * from unsorted_payment_rows order by id_hash, batch_id, row_no);
drop table unsorted_payment_rows;
