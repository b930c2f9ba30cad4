-- Merge the batches loaded since the last optimize (temp table recent_batches) into one run in id_hash
-- order (then batch, then spreadsheet row), leaving the runs before them as they are: a kiosk lookup
-- then reads a row group per run instead of one per batch. Every row is kept, superseded batches too.
-- The merged rows get their lookup_row (migration 0005); the runs before them have theirs.
-- Runs inside the caller's transaction; the recent rows are copied to a temp table (spills if large).
create temp table recent_payment_rows as
    select * from payment_rows where batch_id in (select batch_id from recent_batches);
delete from payment_rows where batch_id in (select batch_id from recent_batches);
-- lookup_row is computed on the sorted rows, not before the sort: in the sort it would be ~90 more
-- bytes a row to spill (100M rows: the rewrite's temp files outgrew 26 GB)
insert into payment_rows
    select * replace (lookup_row(batch_id, row_no, year, fund_code, township, village, amount, approved_date,
                                 paid_date, name) as lookup_row)
    from (select * from recent_payment_rows order by id_hash, batch_id, row_no);
drop table recent_payment_rows;
drop table recent_batches;
