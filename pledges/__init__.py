"""Pledges: rounds, proposals, review, publication, fulfilment and close-out (issue 3)."""
