-- What a rewrite of payment_rows must keep: row counts (all, live, superseded) and the total amount (yuan).
with source as (
    select p.amount, b.status
    from payment_rows p left join batches b using (batch_id)
),
final as (
    select count(*) as rows,
           count(*) filter (where status = 'loaded') as live_rows,
           count(*) filter (where status is distinct from 'loaded') as superseded_rows,
           coalesce(sum(amount), 0) as amount
    from source
)
select * from final
