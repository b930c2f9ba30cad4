-- Inquiries for staff, newest first; $status = 'open' lists open ones, '' lists every one. Includes the phone.
with source as (
    select * from inquiries where $status = '' or status = $status
),
final as (
    select ticket, created_at, township, village, kind, text, phone, id_hash is not null as from_lookup,
           status, reply, replied_at, replied_by, closed_at
    from source
)
select * from final order by created_at desc
