-- withdraw the review of one lead ($key)
delete from lead_reviews where lead_key = $key
