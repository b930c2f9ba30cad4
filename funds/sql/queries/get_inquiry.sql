-- One inquiry by its ticket ($ticket), without the phone number or the ID hash (public status view).
with source as (
    select * from inquiries where ticket = $ticket
),
final as (
    select ticket, created_at, township, village, kind, text, status, reply, replied_at, closed_at from source
)
select * from final
