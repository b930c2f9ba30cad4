-- every lead review (one per lead_key)
with source as (
    select lead_key, code, reviewed_by, reviewed_at, note from lead_reviews
),
final as (
    select * from source
)
select * from final
