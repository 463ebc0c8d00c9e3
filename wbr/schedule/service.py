"""`wbr scheduler`: the long-running process, on APScheduler 3.x.

Two jobs call the same tick (`wbr.schedule.due.run_due`): one on the refresh's
crontab, so the refresh starts on time, and one every `POLL_SECONDS`, which catches
up after a restart (a fire time missed while the process was down runs once, within
the grace period), starts retries when their backoff is over, sends reminders and
drains the outbox. One worker thread, coalescing and one instance per job keep the
jobs of this process from overlapping; the store's lock keeps processes apart.
"""

from __future__ import annotations

import gc
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from types import FrameType

from wbr.schedule.clock import Clock
from wbr.schedule.due import TickReport, require_schedule, run_due
from wbr.schedule.timing import refresh_trigger
from wbr.workspace import Workspace

POLL_SECONDS = 60


def settle_heap() -> None:
    """Leave what is alive now out of the garbage collector's walks, for good.

    Called once, after the process's first tick: its modules, registry and caches
    live as long as the process. Python's full collections walked them all (about
    120,000 objects after a 300-metric refresh), 0.08-0.09 s that fell inside
    whichever step of a weekly refresh happened to set one off; frozen, a collection
    walks only what later ticks made (`gc.freeze`)."""
    gc.collect()
    gc.freeze()


def ticker(
    workspace: Workspace, clock: Clock, on_tick: Callable[[TickReport], None]
) -> Callable[[], None]:
    """The jobs' tick: run what is due; after the first, settle the heap."""
    settled = False

    def tick() -> None:
        nonlocal settled
        on_tick(run_due(workspace, clock))
        if not settled:  # one worker thread runs the ticks: no race
            settled = True
            settle_heap()

    return tick


def run_forever(
    workspace: Workspace, on_tick: Callable[[TickReport], None], poll_seconds: int = POLL_SECONDS
) -> None:
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    schedule = require_schedule(workspace)
    tick = ticker(workspace, Clock(), on_tick)
    scheduler = BlockingScheduler(
        timezone=schedule.zone,
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={
            "coalesce": True,  # runs missed while busy collapse into one
            "max_instances": 1,
            "misfire_grace_time": schedule.misfire_grace_minutes * 60,
        },
    )
    scheduler.add_job(tick, refresh_trigger(schedule), id="refresh", name="weekly refresh")
    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=poll_seconds, timezone=schedule.zone),
        id="poll",
        name="catch up, retry, remind, send",
        next_run_time=datetime.now(UTC),  # at once: a refresh missed while down runs now
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    scheduler.start()
