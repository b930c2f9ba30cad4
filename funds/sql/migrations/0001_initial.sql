-- 0001: batches, the six kinds of loaded rows, and the public views over them.
-- Money is DECIMAL(18,2) yuan; quantities and rates DECIMAL(18,4); dates DATE.
-- PII: id_hash is HMAC-SHA256(key, id)[:128 bits]; id_masked/account_masked are public-safe.
-- Names are stored (a kiosk must verify them) and masked by every public query.

create table batches (
    batch_id      integer primary key,
    kind          varchar not null,      -- funds | payments | allocations | projects | budgets | people_flags
    file_name     varchar not null,
    sha256        varchar not null,      -- of the uploaded bytes
    user_name     varchar not null,
    loaded_at     timestamp not null,
    rows          integer not null,
    warnings      integer not null,
    status        varchar not null,      -- loaded | superseded
    replaces      integer,               -- the batch this one replaced
    superseded_by integer
);

-- every attempt, loaded or not (a rejected file changes nothing else)
create table ingest_log (
    attempt_id integer primary key,
    attempted_at timestamp not null,
    kind       varchar not null,
    file_name  varchar not null,
    sha256     varchar,
    user_name  varchar not null,
    status     varchar not null,         -- loaded | rejected | already_loaded
    batch_id   integer,
    rows       integer,
    errors     integer not null
);

create table fund_rows (
    batch_id      integer not null,
    row_no        integer not null,      -- the spreadsheet row the clerk sees
    year          smallint not null,
    fund_code     varchar not null,
    fund_name     varchar not null,
    category      varchar not null,      -- household | project
    department    varchar not null,
    policy_basis  varchar,
    deadline_days integer,
    row_hash      uhugeint not null
);

create table payment_rows (
    batch_id       integer not null,
    row_no         integer not null,
    year           smallint not null,
    fund_code      varchar not null,
    township       varchar not null,
    village        varchar not null,
    name           varchar not null,     -- PII: shown masked in public
    id_hash        uhugeint not null,    -- PII-derived: keyed hash, never the raw number
    id_masked      varchar not null,     -- 6 digits + ******** + 4
    household_no   varchar,
    quantity       decimal(18,4),
    rate           decimal(18,4),        -- yuan per unit
    amount         decimal(18,2) not null,  -- yuan
    approved_date  date not null,
    paid_date      date,
    account_masked varchar,              -- PII-derived: last 4 digits only
    remarks        varchar,
    row_hash       uhugeint not null
);

create table allocation_rows (
    batch_id      integer not null,
    row_no        integer not null,
    year          smallint not null,
    fund_code     varchar not null,
    document_no   varchar,
    recipient     varchar not null,
    township      varchar,
    amount        decimal(18,2) not null,  -- yuan
    approved_date date not null,
    paid_date     date,
    row_hash      uhugeint not null
);

create table project_rows (
    batch_id      integer not null,
    row_no        integer not null,
    year          smallint not null,
    fund_code     varchar not null,
    project_code  varchar not null,
    project_name  varchar not null,
    township      varchar,
    village       varchar,
    implementer   varchar,
    amount        decimal(18,2) not null,  -- yuan
    approved_date date not null,
    paid_date     date,
    paid_amount   decimal(18,2),           -- yuan
    status        varchar,
    row_hash      uhugeint not null
);

create table budget_rows (
    batch_id        integer not null,
    row_no          integer not null,
    year            smallint not null,
    department_code varchar,
    department      varchar not null,
    category        varchar not null,
    item            varchar not null,
    budget          decimal(18,2) not null,  -- yuan
    actual          decimal(18,2),           -- yuan
    row_hash        uhugeint not null
);

create table people_flag_rows (
    batch_id  integer not null,
    row_no    integer not null,
    id_hash   uhugeint not null,
    id_masked varchar not null,
    name      varchar,
    flag      varchar not null,              -- deceased | official
    date      date not null,
    row_hash  uhugeint not null
);

create view live_batches as select batch_id from batches where status = 'loaded';

create view funds as select * exclude (row_hash) from fund_rows where batch_id in (select batch_id from live_batches);
create view payments as select * exclude (row_hash) from payment_rows where batch_id in (select batch_id from live_batches);
create view allocations as select * exclude (row_hash) from allocation_rows where batch_id in (select batch_id from live_batches);
create view projects as select * exclude (row_hash) from project_rows where batch_id in (select batch_id from live_batches);
create view budgets as select * exclude (row_hash) from budget_rows where batch_id in (select batch_id from live_batches);
create view people_flags as select * exclude (row_hash) from people_flag_rows where batch_id in (select batch_id from live_batches);
