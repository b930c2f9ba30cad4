-- 0003: inquiries (objections) filed at a kiosk or by phone, and the staff replies to them.
-- A ticket is random text (not guessable); the phone number is PII: staff pages only, never public.
create table inquiries (
    ticket      varchar primary key,        -- 10 random characters from an unambiguous alphabet
    created_at  timestamp not null,
    township    varchar,
    village     varchar,
    kind        varchar not null,           -- not_paid | wrong_amount | other
    text        varchar not null,
    phone       varchar,                    -- PII: shown to staff only
    id_hash     uhugeint,                   -- PII-derived: the looked-up person, when filed from a result
    status      varchar not null default 'open',  -- open | answered | closed
    reply       varchar,
    replied_at  timestamp,
    replied_by  varchar,
    closed_at   timestamp
);
