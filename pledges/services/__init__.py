"""Every change to rounds, pledges and items goes through here: the one state machine,
split by concern — rounds and rules (`rounds`), who may do what (`policy`), proposing
(`proposing`), reviewing and publishing (`review`), fulfilling (`fulfilment`), posts (`posts`).

Each step locks what it changes and checks the caller's role, the round's phase and the
current state in one shared preamble (`steps.PledgeStep`, `steps.ItemStep`); then it changes
the state, writes the history event and queues the messages — all in one transaction, so a
refused or failed step leaves nothing behind. The audit trail records each change through
`AuditedModel`. Refusals: wrong state or phase → 409; wrong role → 403; bad content → 400.
"""
from .fulfilment import item_close, item_rectify, item_request_close, item_send_back, record_add
from .policy import RoundRules, can_edit, can_record, can_review, reviewer_for, rules_of, rules_snapshot
from .posts import member_post_assign
from .proposing import check_item_counts, check_items, check_member_may_pledge, pledge_create, pledge_delete, pledge_submit, pledge_update
from .review import pledge_approve, pledge_publish, pledge_return, round_publish_approved
from .rounds import MOST_CHECKLIST_POINTS, MOST_ITEMS, MOST_TEMPLATES_PER_TIER, check_round_dates, check_rules, round_open, round_update, rules_update
from .steps import EDITABLE_STATES, FULFIL_PHASES, ITEM_FIELDS, PROPOSE_PHASES, PUBLISH_PHASES, REVIEW_PHASES, check_phase, conflict

__all__ = [
    "EDITABLE_STATES", "FULFIL_PHASES", "ITEM_FIELDS", "MOST_CHECKLIST_POINTS", "MOST_ITEMS", "MOST_TEMPLATES_PER_TIER", "PROPOSE_PHASES", "PUBLISH_PHASES", "REVIEW_PHASES", "RoundRules",
    "can_edit", "can_record", "can_review", "check_item_counts", "check_items", "check_member_may_pledge", "check_phase",
    "check_round_dates", "check_rules", "conflict", "item_close", "item_rectify", "item_request_close", "item_send_back",
    "member_post_assign", "pledge_approve", "pledge_create", "pledge_delete", "pledge_publish", "pledge_return", "pledge_submit",
    "pledge_update", "record_add", "reviewer_for", "round_open", "round_publish_approved", "round_update", "rules_of",
    "rules_snapshot", "rules_update",
]
