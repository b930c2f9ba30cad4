-- 0004: the auditor's workspace: reviews of anomaly leads and saved, parameterised SQL queries.

-- one row per reviewed lead; lead_key is stable across runs (code, fund, person hash, period or row)
create table lead_reviews (
    lead_key    varchar primary key,
    code        varchar not null,        -- duplicate-payment | id-name-conflict | ... (funds/leads.py)
    reviewed_by varchar not null,
    reviewed_at timestamp not null,
    note        varchar
);

-- queries auditors keep; parameters are written $name in the text and bound, never formatted in
create table saved_queries (
    name        varchar primary key,
    description varchar,
    sql         varchar not null,
    created_by  varchar not null,
    created_at  timestamp not null
);

insert into saved_queries values
  ('payments_by_village', 'Payments of one fund ($fund_code) and year ($year) by village: rows, people, yuan',
   'select township, village, count(*) as payments, count(distinct id_hash) as people, sum(amount) as yuan
from payments where fund_code = $fund_code and year = $year
group by all order by yuan desc', 'system', now()),
  ('unpaid_older_than', 'Unpaid payments approved more than $days days before $as_of (a date)',
   'select fund_code, township, village, id_masked, amount, approved_date,
       date_diff(''day'', approved_date, cast($as_of as date)) as age_days
from payments where paid_date is null and date_diff(''day'', approved_date, cast($as_of as date)) > $days
order by age_days desc', 'system', now()),
  ('person_payments', 'Every payment to one masked ID ($id_masked)',
   'select year, fund_code, township, village, amount, approved_date, paid_date
from payments where id_masked = $id_masked order by approved_date', 'system', now()),
  ('fund_totals', 'Per fund and year: household payments, people and yuan',
   'select year, fund_code, count(*) as payments, count(distinct id_hash) as people, sum(amount) as yuan
from payments group by all order by year, fund_code', 'system', now());
