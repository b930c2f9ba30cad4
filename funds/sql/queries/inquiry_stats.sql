-- Per township: inquiries filed, how many got a reply, and the median time to reply in hours.
with source as (
    select coalesce(township, '') as township, created_at, replied_at from inquiries
),
final as (
    select township,
           count(*) as filed,
           count(replied_at) as replied,
           median(date_diff('second', created_at, replied_at)) filter (where replied_at is not null) / 3600.0
               as median_hours
    from source group by township
)
select * from final order by township
