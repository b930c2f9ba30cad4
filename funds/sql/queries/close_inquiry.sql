-- Close an inquiry (with or without a reply); returns the ticket when a row changed.
update inquiries set status = 'closed', closed_at = $now::timestamp
where ticket = $ticket and status <> 'closed'
returning ticket
