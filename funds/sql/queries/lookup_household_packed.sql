-- lookup_household.sql on a table `funds optimize` has packed (migration 0005): the same rows of one
-- person ($id_hash), every batch, as one column, lookup_row, a JSON array read by funds/household.py
-- (which also compares the name). One column instead of ten halves a lookup's time; kept minimal and
-- not in the CTE shape for the reason given there. $id_hash is cast, as there.
select lookup_row
from payment_rows
where id_hash = $id_hash::uhugeint
