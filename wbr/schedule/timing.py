"""When things happen: the refresh's fire times, the week's deadline and meeting, retries.

Pure functions over the validated schedule and an aware `now`, so a test (or
`wbr scheduler --once --now …`) can set the clock. The crontab is read by
APScheduler's own CronTrigger, the same object the long-running scheduler fires.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from wbr.registry.ritual import Schedule, WeeklyMoment

DAYS_PER_WEEK = 7
# A fire time older than this is never looked at: far past any grace period or retry.
MAX_LOOKBACK = timedelta(days=35)


def refresh_trigger(schedule: Schedule) -> CronTrigger:
    return CronTrigger.from_crontab(schedule.refresh, timezone=schedule.zone)


def _next_fire(trigger: CronTrigger, after: datetime) -> datetime | None:
    fire: datetime | None = trigger.get_next_fire_time(None, after)
    return fire


def next_refresh(schedule: Schedule, now: datetime) -> datetime | None:
    """The first fire time strictly after `now`."""
    return _next_fire(refresh_trigger(schedule), now + timedelta(microseconds=1))


def _latest_in(trigger: CronTrigger, now: datetime, lookback: timedelta) -> datetime | None:
    latest = None
    fire = _next_fire(trigger, now - lookback)
    while fire is not None and fire <= now:
        latest = fire
        fire = _next_fire(trigger, fire + timedelta(microseconds=1))
    return latest


def latest_refresh(schedule: Schedule, now: datetime) -> datetime | None:
    """The newest fire time at or before `now` (within `MAX_LOOKBACK`), or None.

    Walking forward from a window's start is cheap when the window is small, so
    the window starts at the grace period and doubles until it holds a fire time:
    a crontab firing every minute takes a few steps, a weekly one a few windows.
    """
    trigger = refresh_trigger(schedule)
    window = timedelta(minutes=schedule.misfire_grace_minutes)
    while True:
        found = _latest_in(trigger, now, min(window, MAX_LOOKBACK))
        if found is not None or window >= MAX_LOOKBACK:
            return found
        window *= 2


def moment_after(moment: WeeklyMoment, start: datetime, schedule: Schedule) -> datetime:
    """The first time at `moment` (a weekday and a time, in the schedule's zone) after `start`."""
    local = start.astimezone(schedule.zone)
    days_ahead = (moment.weekday - local.weekday()) % DAYS_PER_WEEK
    day = local.date() + timedelta(days=days_ahead)
    candidate = datetime.combine(day, moment.at, tzinfo=schedule.zone)
    if candidate <= local:
        candidate = datetime.combine(
            day + timedelta(days=DAYS_PER_WEEK), moment.at, tzinfo=schedule.zone
        )
    return candidate


def deadline_for(schedule: Schedule, refreshed_for: datetime) -> datetime | None:
    """When the explanations for the refresh at `refreshed_for` are due."""
    due = schedule.deadline
    return moment_after(due, refreshed_for, schedule) if due is not None else None


def meeting_for(schedule: Schedule, refreshed_for: datetime) -> datetime | None:
    meeting = schedule.meeting_moment
    return moment_after(meeting, refreshed_for, schedule) if meeting is not None else None


def reminder_at(schedule: Schedule, deadline: datetime) -> datetime:
    return deadline - timedelta(hours=schedule.reminder_hours_before)


def retry_delay(schedule: Schedule, failed_attempt: int) -> timedelta:
    """The wait after attempt `failed_attempt` (1-based) failed: the backoff, doubled each time."""
    return timedelta(minutes=schedule.retry_backoff_minutes * 2 ** (failed_attempt - 1))


def retry_window(schedule: Schedule) -> timedelta:
    """How long after a fire time its run may still start: the grace, then every retry."""
    retries = sum(
        (retry_delay(schedule, attempt) for attempt in range(1, schedule.retry_attempts)),
        timedelta(),
    )
    return timedelta(minutes=schedule.misfire_grace_minutes) + retries
