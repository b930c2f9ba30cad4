-- Record a staff reply to an open or answered inquiry; returns the ticket when a row changed.
update inquiries set reply = $reply, replied_at = $now::timestamp, replied_by = $by, status = 'answered'
where ticket = $ticket and status <> 'closed'
returning ticket
