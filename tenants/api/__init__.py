"""API conventions every unit endpoint shares: one error shape, filters, pagination,
idempotent POSTs, and the base view that takes the caller's access from the routing."""
