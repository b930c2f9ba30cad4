-- Every payment row of one person ($id_hash), in every batch, and whether its name is $name.
-- funds/household.py keeps the rows of live batches and answers only when one of them has the
-- name, so a wrong name reads exactly like an unknown ID; it also names the funds and orders the
-- rows. Planning, not scanning, is most of a lookup's time, so this query is kept minimal and is
-- the one not written in the source/final CTE shape (each CTE adds ~0.2 ms to a ~2 ms lookup).
-- $id_hash is cast: a Python int below 2^127 binds as HUGEINT, and HUGEINT = UHUGEINT compares as
-- DOUBLE (near neighbours would match, and no zonemap could prune). Amounts in yuan.
select batch_id, row_no, year, fund_code, township, village, amount, approved_date, paid_date,
       name = $name as name_matches
from payment_rows
where id_hash = $id_hash::uhugeint
