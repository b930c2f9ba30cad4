-- File a new inquiry; all values bound. Timestamps in local server time.
insert into inquiries (ticket, created_at, township, village, kind, text, phone, id_hash, status)
with source as (
    select $ticket as ticket, $created_at::timestamp as created_at, $township as township, $village as village,
           $kind as kind, $text as text, $phone as phone, $id_hash::uhugeint as id_hash
),
final as (
    select *, 'open' as status from source
)
select * from final
