"""`wbr detect`: the project mode, the --csv mode anyone can use, and --help."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import small_project as shop
from click.testing import CliRunner

from wbr.cli import main
from wbr.compute.run import compute
from wbr.store import create_store_engine, migrate, replace_raw_table

FIRST_DAY = date(2024, 1, 7)  # a Sunday
DROP_DAY = FIRST_DAY + timedelta(days=7 * 25 + 3)  # a Wednesday in the 26th week


def daily_csv(path: Path) -> Path:
    """30 weeks of daily orders with a weekday pattern; one day loses 60 % of its orders."""
    days = [FIRST_DAY + timedelta(days=n) for n in range(7 * 30)]
    weekday = np.array([1.0, 1.0, 1.0, 1.0, 1.1, 0.7, 0.6])
    t = np.arange(len(days))
    orders = 1000 * weekday[[day.weekday() for day in days]] * (1 + 0.01 * np.sin(2.1 * t))
    frame = pd.DataFrame({"day": days, "orders": np.round(orders)})
    frame.loc[frame["day"] == DROP_DAY, "orders"] *= 0.4
    frame.to_csv(path, index=False)
    return path


def test_help_documents_both_modes() -> None:
    result = CliRunner().invoke(main, ["detect", "--help"])
    assert result.exit_code == 0
    for option in ("--csv", "--date-column", "--value-column", "--grain", "--method", "--event"):
        assert option in result.output
    assert "detect" in CliRunner().invoke(main, ["--help"]).output


def test_csv_mode_flags_the_week_with_the_drop_and_writes_json(tmp_path: Path) -> None:
    source = daily_csv(tmp_path / "orders.csv")
    output = tmp_path / "flags.json"
    args = ["detect", "--csv", str(source), "--date-column", "day", "--value-column", "orders"]
    result = CliRunner().invoke(main, [*args, "--output", str(output)])
    assert result.exit_code == 0, result.output
    week_ending = DROP_DAY + timedelta(days=(5 - DROP_DAY.weekday()) % 7)
    assert "30 complete weeks scored, 1 flagged" in result.output
    assert f"orders  {week_ending}  robust" in result.output
    (flag,) = json.loads(output.read_text(encoding="utf-8"))
    assert flag["week_ending"] == week_ending.isoformat()
    assert flag["is_bad"] is True and flag["status"] == "open"
    days = pd.read_csv(source, parse_dates=["day"])
    in_week = (days["day"] > pd.Timestamp(week_ending - timedelta(days=7))) & (
        days["day"] <= pd.Timestamp(week_ending)
    )
    assert flag["actual"] == days.loc[in_week, "orders"].sum() == 5799.0
    assert flag["explanation"].startswith("expected 6.40K ± ")
    assert flag["explanation"].endswith("from the last 8 weeks; got 5.80K, −9.4%")


def test_csv_mode_by_day_with_a_known_event(tmp_path: Path) -> None:
    source = daily_csv(tmp_path / "orders.csv")
    event = f"Warehouse move={DROP_DAY}..{DROP_DAY}"
    result = CliRunner().invoke(
        main,
        [
            "detect",
            "--csv",
            str(source),
            "--date-column",
            "day",
            "--value-column",
            "orders",
            "--grain",
            "day",
            "--event",
            event,
            "--output",
            str(tmp_path / "flags.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "1 flagged" in result.output
    assert f"orders  {DROP_DAY}  seasonal" in result.output
    assert "during Warehouse move (a known event)" in result.output
    written = pd.read_csv(tmp_path / "flags.csv")
    assert written["status"].tolist() == ["explained"]
    assert written["explained_by"].tolist() == ["Warehouse move"]


def test_csv_mode_reports_a_missing_column_without_a_traceback(tmp_path: Path) -> None:
    source = daily_csv(tmp_path / "orders.csv")
    args = ["detect", "--csv", str(source), "--date-column", "day", "--value-column", "revenue"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "needs columns 'day' and 'revenue'; it has: day, orders" in result.output
    wide = tmp_path / "wide.csv"
    pd.read_csv(source).assign(returns=1.0).to_csv(wide, index=False)
    unclear = CliRunner().invoke(main, ["detect", "--csv", str(wide)])
    assert unclear.exit_code == 1
    assert "cannot tell the date and value columns apart" in unclear.output
    assert "numeric: orders, returns" in unclear.output and "pass --date-column" in unclear.output


def test_csv_mode_guesses_columns_reports_dropped_weeks_and_writes_json(tmp_path: Path) -> None:
    """A two-column file needs no column names; weeks without all their days are reported."""
    source = daily_csv(tmp_path / "orders.csv")
    days = pd.read_csv(source, parse_dates=["day"])
    short_day = pd.Timestamp(FIRST_DAY + timedelta(days=7 * 10 + 2))  # week 11 loses a day
    gap = (days["day"] >= pd.Timestamp(FIRST_DAY + timedelta(days=7 * 14))) & (
        days["day"] < pd.Timestamp(FIRST_DAY + timedelta(days=7 * 15))
    )  # week 15 has no rows at all
    days[(days["day"] != short_day) & ~gap].to_csv(source, index=False)

    def week_of(n: int) -> str:
        return (FIRST_DAY + timedelta(days=7 * n + 6)).isoformat()

    result = CliRunner().invoke(main, ["detect", "--csv", str(source), "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["date_column"], document["value_column"]) == ("day", "orders")
    assert document["periods_scored"] == 28
    assert document["periods_dropped"] == {"incomplete": [week_of(10)], "missing": [week_of(14)]}
    (flag,) = document["flags"]
    week_ending = DROP_DAY + timedelta(days=(5 - DROP_DAY.weekday()) % 7)
    assert flag["week_ending"] == week_ending.isoformat() and flag["is_bad"] is True
    assert flag["detector"] == "robust" and flag["lower"] < flag["expected"] < flag["upper"]
    assert "columns: date 'day', value 'orders' (guessed)" in result.stderr

    text = CliRunner().invoke(main, ["detect", "--csv", str(source)])
    assert "28 complete weeks scored, 1 flagged" in text.output
    assert f"dropped 2 week(s): 1 incomplete ({week_of(10)}), 1 without rows ({week_of(14)})" in (
        text.output
    )


def computed_shop(url: str) -> None:
    """The small shop's rows loaded and its values computed in the store at `url`."""
    engine = create_store_engine(url)
    migrate(engine)
    replace_raw_table(engine, "traffic", [shop.traffic_frame()], "day")
    replace_raw_table(engine, "orders", [shop.orders_frame()], "order_date")
    compute(engine, shop.registry())
    engine.dispose()


def test_project_mode_stores_and_prints_the_latest_weeks_flags(tmp_path: Path) -> None:
    registry_file = shop.write_project(tmp_path)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    computed_shop(url)
    args = ["detect", "--registry", str(registry_file), "--database-url", url]
    first = CliRunner().invoke(main, [*args, "--week-ending", "2024-01-06"])
    assert first.exit_code == 0, first.output
    assert "scored 6 metrics over 378 metric-weeks: 3 flags (3 open" in first.output
    assert "3 new, 0 updated, 0 resolved" in first.output
    assert "week ending 2024-01-06: 3 flag(s)" in first.output
    assert "ctr  2024-01-06  level_shift high   bad   open" in first.output
    assert "new level since 2024-01-06: 400 bps below the previous 8 weeks" in first.output
    again = CliRunner().invoke(main, args)
    assert "0 new, 3 updated, 0 resolved" in again.output
    assert "week ending 2024-03-16: 0 flag(s)" in again.output


def test_from_start_scores_without_the_kept_files_and_flags_the_same(tmp_path: Path) -> None:
    registry_file = shop.write_project(tmp_path)
    kept = tmp_path / ".wbr"
    kept.mkdir()  # where wbr keeps its local state: fits and scorer states go here
    url = f"sqlite:///{kept / 'wbr.db'}"
    computed_shop(url)
    args = ["detect", "--registry", str(registry_file), "--database-url", url]
    args += ["--week-ending", "2024-01-06"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    states = kept / "scorer-states.npz"
    written = states.stat().st_mtime_ns
    again = CliRunner().invoke(main, [*args, "--from-start"])
    assert again.exit_code == 0, again.output
    assert states.stat().st_mtime_ns == written  # neither read nor written
    flags_of = [line for line in first.output.splitlines() if "2024-01-06" in line]
    assert len(flags_of) > 1
    assert [line for line in again.output.splitlines() if "2024-01-06" in line] == flags_of
