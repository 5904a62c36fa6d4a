"""Periodic work per unit, spread over each period instead of every unit at once.

Each unit has a stable slot in each task's period, derived from its schema name, so the units
are spread evenly across the period. Beat fires at the start of every minute; the fan-out sends the
unit task to the ACTIVE units whose slot falls in that minute (and in any minute since its last run
that was missed), with a countdown of less than a minute.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

from celery.schedules import crontab


@dataclass(frozen=True)
class UnitSchedule:
    task: str
    period: int  # seconds
    outbox_pending_only: bool = False  # only units with outbox messages waiting (tenants.models.OutboxPending)


UNIT_SCHEDULES = [
    # The sweep that delivers any outbox message whose post-commit nudge was lost.
    UnitSchedule("notifications.deliver_outbox", 5 * 60, outbox_pending_only=True),
    # E-mails, SMS and robot messages whose quiet hours, digest hour or retry has come.
    UnitSchedule("notifications.send_deliveries", 2 * 60),
    UnitSchedule("oversight.refresh_unit_figures", 30 * 60),
    # Overdue detection, reminders, quarterly summaries and bulletins: each job knows
    # from the unit's cadence and its dedupe keys whether it is due, so hourly is safe.
    UnitSchedule("pledges.run_cadence", 60 * 60),
    # Evaluations: ballot rights issued as they open, pending ballots a lost nudge left behind,
    # and the nightly full recompute that checks the running tallies.
    UnitSchedule("evaluations.sweep", 5 * 60),
    UnitSchedule("evaluations.recompute_scores", 24 * 60 * 60),
]


def slot_offset(schema_name: str, task: str, period: int) -> int:
    return zlib.crc32(f"{schema_name}:{task}".encode()) % period


# Platform-wide periodic tasks (public schema), by name and period in seconds.
PLATFORM_SCHEDULES = [
    # County notices a broker outage left pending (their unit rows are the public schema's outbox).
    ("oversight.notices_sweep", 60),
]


def beat_schedule() -> dict:
    platform = {f"{task}": {"task": task, "schedule": float(period), "options": {"expires": period * 1.5}} for task, period in PLATFORM_SCHEDULES}
    return platform | {
        f"fan-out {s.task}": {
            "task": "tenants.fan_out",
            # At the start of every minute (by the clock: an interval would drift across minute
            # boundaries), for the units whose slot falls in the minutes since the last fan-out.
            "schedule": crontab(),
            "args": (s.task, s.period, None, s.outbox_pending_only),
            # A fan-out that waited past its minute is dropped: the next one catches its minute up.
            "options": {"expires": 55},
        }
        for s in UNIT_SCHEDULES
    }
