-- mark one lead ($key, $code) reviewed by $user at $at with $note; a second review replaces the first
insert or replace into lead_reviews (lead_key, code, reviewed_by, reviewed_at, note)
with source as (
    select $key as lead_key, $code as code, $user as reviewed_by, $at as reviewed_at, $note as note
),
final as (
    select * from source
)
select * from final
