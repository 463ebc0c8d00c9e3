"""The demo retailer's plan: last year's actuals on the same weekdays, plus the growth goal.

A common way to set a daily operating plan; it gives every period a target, so the
deck can show variance to plan for weeks, months, MTD, QTD and YTD.
"""

from __future__ import annotations

import pandas as pd

from wbr.calendar import PY_WEEK_OFFSET_DAYS

PLAN_GROWTH = 1.20  # the plan asks for 20 % more than the same weekdays last year
PLAN_FILE = "plan_daily.csv"


def plan_frame(orders: pd.DataFrame) -> pd.DataFrame:
    """Daily `orders_plan` and `revenue_plan` from one year of order rows onwards."""
    dates = pd.to_datetime(orders["order_date"])
    daily = (
        orders.assign(day=dates)
        .groupby("day")
        .agg(orders_plan=("order_id", "size"), revenue_plan=("amount", "sum"))
    )
    plan: pd.DataFrame = daily * PLAN_GROWTH
    plan.index = plan.index + pd.Timedelta(days=PY_WEEK_OFFSET_DAYS)
    plan = plan[plan.index <= daily.index.max()]
    plan = plan.round({"orders_plan": 1, "revenue_plan": 2})
    plan = plan.reset_index().rename(columns={"day": "date"})
    plan["date"] = plan["date"].dt.strftime("%Y-%m-%d")
    return plan
