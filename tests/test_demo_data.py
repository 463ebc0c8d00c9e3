"""The bundled demo: deterministic data that tells the story in docs/demo.md,
and the repository's metrics.yaml that reads it."""

from __future__ import annotations

import filecmp
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from ruamel.yaml import YAML

from wbr.demo.generate import DemoFiles, generate_demo_data, main
from wbr.demo.orders import INITIAL_CUSTOMERS
from wbr.demo.story import (
    END_DATE,
    INCIDENTS,
    MILESTONES,
    START_DATE,
    StoryEvent,
    summer_deal_days,
    thanksgiving,
)
from wbr.registry.aggregations import LastAggregation, RatioAggregation
from wbr.registry.models import MetricKind, Registry, Unit

REPO_ROOT = Path(__file__).resolve().parents[1]
METRICS_YAML = REPO_ROOT / "metrics.yaml"
BASELINE_DAYS = 28  # an incident is compared with the four weeks before it
DAY = timedelta(days=1)

SITE_COLUMNS = [
    "date",
    "sessions",
    "product_page_views",
    "in_stock_page_views",
    "active_skus",
    "price_checks",
    "price_competitive_checks",
    "page_loads",
    "page_load_ms_total",
]
ORDER_COLUMNS = [
    "order_id",
    "order_date",
    "customer_id",
    "amount",
    "units",
    "delivery_days",
    "defective",
    "region",
    "category",
    "channel",
    "new_customer",
]


@dataclass(frozen=True)
class Demo:
    files: DemoFiles
    orders: pd.DataFrame
    daily: pd.DataFrame  # site_daily joined with per-day order totals, indexed by date


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    files = generate_demo_data(tmp_path_factory.mktemp("demo"), seed=7)
    site = pd.read_csv(files.site_daily, parse_dates=["date"]).set_index("date")
    orders = pd.read_csv(files.orders, parse_dates=["order_date"])
    per_day = orders.groupby("order_date").agg(
        orders=("order_id", "size"),
        revenue=("amount", "sum"),
        delivery_days=("delivery_days", "sum"),
        defective=("defective", "sum"),
    )
    return Demo(files, orders, site.join(per_day))


def event(name: str) -> StoryEvent:
    return next(e for e in (*INCIDENTS, *MILESTONES) if e.name == name)


def days(frame: pd.DataFrame, first: date, last: date) -> pd.DataFrame:
    return frame.loc[pd.Timestamp(first) : pd.Timestamp(last)]


def before(frame: pd.DataFrame, start: date) -> pd.DataFrame:
    return days(frame, start - BASELINE_DAYS * DAY, start - DAY)


def rate(frame: pd.DataFrame, numerator: str, denominator: str) -> float:
    return float(frame[numerator].sum() / frame[denominator].sum())


# --- Files: deterministic, small, fast, complete ---------------------------------------


def test_same_seed_writes_identical_bytes_and_another_seed_differs(
    demo: Demo, tmp_path: Path
) -> None:
    again = generate_demo_data(tmp_path / "again", seed=7)
    other = generate_demo_data(tmp_path / "other", seed=8)
    assert filecmp.cmp(demo.files.site_daily, again.site_daily, shallow=False)
    assert filecmp.cmp(demo.files.orders, again.orders, shallow=False)
    assert filecmp.cmp(demo.files.plan, again.plan, shallow=False)
    assert not filecmp.cmp(demo.files.site_daily, other.site_daily, shallow=False)
    assert not filecmp.cmp(demo.files.orders, other.orders, shallow=False)


def test_generated_files_stay_small(demo: Demo) -> None:
    # No wall-clock assertion here: tests assert, benchmarks report.
    total_bytes = sum(path.stat().st_size for path in vars(demo.files).values())
    assert total_bytes < 30_000_000


def test_files_have_the_documented_columns_and_iso_dates(demo: Demo) -> None:
    site_header = demo.files.site_daily.read_text().splitlines()[:2]
    with demo.files.orders.open() as orders_file:
        orders_header = orders_file.readline().strip()
    assert site_header[0].split(",") == SITE_COLUMNS
    assert re.fullmatch(r"2023-11-19,\d+(,\d+){7}", site_header[1])
    assert orders_header.split(",") == ORDER_COLUMNS


def test_three_years_of_whole_weeks_without_a_missing_day(demo: Demo) -> None:
    expected = pd.date_range("2023-11-19", "2026-11-21", freq="D")
    assert (date(2023, 11, 19), date(2026, 11, 21)) == (START_DATE, END_DATE)
    assert START_DATE.weekday() == 6 and END_DATE.weekday() == 5  # Sunday .. Saturday
    assert len(expected) == 1099 == 157 * 7
    assert demo.daily.index.equals(expected)
    assert demo.daily["orders"].notna().all()  # every day has orders
    assert sorted(demo.orders["order_date"].unique()) == list(expected)


def test_orders_grow_from_about_250_to_about_400_a_day(demo: Demo) -> None:
    orders = demo.daily["orders"]
    first_year = days(demo.daily, START_DATE, START_DATE + 363 * DAY)["orders"]
    january_lull = days(demo.daily, date(2024, 1, 7), date(2024, 3, 2))["orders"]
    last_quiet_weeks = days(demo.daily, date(2026, 9, 13), date(2026, 11, 7))["orders"]
    assert 240 <= first_year.median() <= 290
    assert 200 <= january_lull.median() <= 250
    assert 360 <= last_quiet_weeks.median() <= 450
    assert 300_000 <= len(demo.orders) <= 400_000
    assert orders.min() >= 100
    assert orders.idxmin().strftime("%m-%d") == "12-25"  # the quietest day of the year
    assert demo.orders["order_id"].is_unique
    assert demo.orders["order_id"].is_monotonic_increasing


def test_values_are_plausible(demo: Demo) -> None:
    site, orders = demo.daily, demo.orders
    assert (site["in_stock_page_views"] <= site["product_page_views"]).all()
    assert (site["price_competitive_checks"] <= site["price_checks"]).all()
    assert site["page_load_ms_total"].div(site["page_loads"]).between(550, 1300).all()
    assert (orders["amount"] > 0).all() and (orders["units"] >= 1).all()
    assert orders["delivery_days"].between(1, 14).all()
    assert set(orders["defective"]) == {0, 1} and set(orders["new_customer"]) == {0, 1}
    assert set(orders["region"]) == {"West", "East", "South", "Central"}
    assert set(orders["channel"]) == {"web", "app"}
    grocery = orders.loc[orders["category"] == "Grocery", "order_date"]
    assert grocery.min() >= pd.Timestamp(event("grocery_launch").start)
    assert 50.0 <= orders["amount"].mean() <= 58.0


def test_customers_come_back_and_new_ones_join(demo: Demo) -> None:
    orders = demo.orders
    distinct = orders["customer_id"].nunique()
    assert 0.3 <= distinct / len(orders) <= 0.6
    repeat_share = orders["customer_id"].duplicated(keep=False).mean()
    assert repeat_share > 0.6
    first_orders = orders.drop_duplicates("customer_id")
    joined = first_orders[first_orders["customer_id"] > INITIAL_CUSTOMERS]
    assert (joined["new_customer"] == 1).all()
    assert orders["new_customer"].sum() == len(joined)
    by_year = orders.groupby(orders["order_date"].dt.year)["customer_id"].nunique()
    assert by_year[2025] > 1.1 * by_year[2024]


# --- Shape: growth, weekdays, holidays --------------------------------------------------


@pytest.mark.parametrize(
    ("column", "low"),
    [("orders", 1.15), ("revenue", 1.15), ("sessions", 1.12)],  # conversion improves too
)
def test_year_over_year_growth_is_15_to_25_percent(demo: Demo, column: str, low: float) -> None:
    weeks_52 = 364  # three comparable 52-week years, each with one Black Friday
    values = demo.daily[column].to_numpy()
    years = [values[i * weeks_52 : (i + 1) * weeks_52].sum() for i in range(3)]
    assert low <= years[1] / years[0] <= 1.25
    assert low <= years[2] / years[1] <= 1.25


def test_weekends_differ(demo: Demo) -> None:
    by_weekday = demo.daily["sessions"].groupby(demo.daily.index.day_of_week).mean()
    mean = by_weekday.mean()
    assert by_weekday.idxmin() == 5  # Saturday is the quietest day
    assert by_weekday[5] < 0.93 * mean
    assert by_weekday[6] > 1.03 * mean  # Sunday is busy


@pytest.mark.parametrize("year", [2024, 2025])
def test_black_friday_and_cyber_monday_peak(demo: Demo, year: int) -> None:
    black_friday = thanksgiving(year) + DAY
    assert black_friday.weekday() == 4 and 23 <= black_friday.day <= 29
    cyber_monday = black_friday + 3 * DAY
    baseline = days(demo.daily, black_friday - 40 * DAY, black_friday - 12 * DAY)["orders"].median()
    assert demo.daily.loc[pd.Timestamp(black_friday), "orders"] > 2.2 * baseline
    assert demo.daily.loc[pd.Timestamp(cyber_monday), "orders"] > 2.0 * baseline


@pytest.mark.parametrize("year", [2024, 2025])
def test_december_run_up_and_the_january_lull(demo: Demo, year: int) -> None:
    october = days(demo.daily, date(year, 10, 1), date(year, 10, 31))["orders"].mean()
    run_up = days(demo.daily, date(year, 12, 1), date(year, 12, 18))["orders"].mean()
    january = days(demo.daily, date(year + 1, 1, 5), date(year + 1, 1, 31))["orders"].mean()
    assert run_up > 1.25 * october
    assert january < october < run_up


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_summer_deal_days_peak(demo: Demo, year: int) -> None:
    first = summer_deal_days(year)
    assert first.weekday() == 1 and 8 <= first.day <= 14
    june = days(demo.daily, date(year, 6, 9), date(year, 7, 2))["orders"].median()
    event_days = days(demo.daily, first, first + DAY)["orders"]
    assert (event_days > 2.0 * june).all()


# --- Incidents: the input moves, and the outputs follow -------------------------------


def test_the_documented_incident_dates() -> None:
    windows = {i.name: (i.start.isoformat(), i.end.isoformat()) for i in INCIDENTS}
    assert windows == {
        "supplier_outage": ("2025-03-10", "2025-03-19"),
        "latency_regression": ("2025-08-19", "2025-08-28"),
        "carrier_hub_failure": ("2026-02-02", "2026-02-13"),
        "defective_batch": ("2026-10-12", "2026-10-25"),
        "competitor_price_cuts": ("2026-11-09", "2026-11-21"),
    }
    last_eight_weeks = END_DATE - 8 * 7 * DAY
    assert sum(i.start > last_eight_weeks for i in INCIDENTS) == 2
    docs = (REPO_ROOT / "docs" / "demo.md").read_text()
    for incident in (*INCIDENTS, *MILESTONES):
        assert incident.start.isoformat() in docs, incident.name


def test_supplier_outage_drops_in_stock_and_orders_follow_a_week_later(demo: Demo) -> None:
    outage = event("supplier_outage")
    base = before(demo.daily, outage.start)
    during = days(demo.daily, outage.start, outage.end)
    recovered = days(demo.daily, outage.end + 7 * DAY, outage.end + 35 * DAY)
    in_stock = "in_stock_page_views", "product_page_views"
    assert rate(during, *in_stock) < rate(base, *in_stock) - 0.05
    assert abs(rate(recovered, *in_stock) - rate(base, *in_stock)) < 0.01

    base_conversion = rate(base, "orders", "sessions")
    lagged = days(demo.daily, outage.start + 3 * DAY, outage.end + 3 * DAY)
    assert rate(lagged, "orders", "sessions") < 0.9 * base_conversion
    # In the deck: in-stock drops in the week ending 03-15, orders in the week after.
    weeks = demo.daily.resample("W-SAT").sum()
    base_orders = weeks.loc["2025-02-15":"2025-03-08", "orders"].mean()
    assert rate(weeks.loc[["2025-03-15"]], *in_stock) < rate(base, *in_stock) - 0.05
    assert weeks.loc["2025-03-15", "orders"] > 0.93 * base_orders
    assert weeks.loc["2025-03-22", "orders"] < 0.92 * base_orders


def test_latency_regression_lowers_conversion_until_rollback(demo: Demo) -> None:
    deploy = event("latency_regression")
    base = before(demo.daily, deploy.start)
    during = days(demo.daily, deploy.start, deploy.end)
    after = days(demo.daily, deploy.end + DAY, deploy.end + 21 * DAY)
    latency = "page_load_ms_total", "page_loads"
    assert rate(during, *latency) > rate(base, *latency) + 250
    assert abs(rate(after, *latency) - rate(base, *latency)) < 25
    assert rate(during, "orders", "sessions") < 0.96 * rate(base, "orders", "sessions")


def test_carrier_hub_failure_slows_south_deliveries(demo: Demo) -> None:
    failure = event("carrier_hub_failure")
    dated = demo.orders.set_index("order_date").sort_index()
    base = before(dated, failure.start).groupby("region")["delivery_days"].mean()
    during = days(dated, failure.start, failure.end).groupby("region")["delivery_days"].mean()
    assert during["South"] > base["South"] + 1.5
    for region in ("West", "East", "Central"):
        assert abs(during[region] - base[region]) < 0.25
    overall = "delivery_days", "orders"
    daily = demo.daily
    assert rate(days(daily, failure.start, failure.end), *overall) > (
        rate(before(daily, failure.start), *overall) + 0.4
    )


def test_defective_batch_doubles_the_defect_rate(demo: Demo) -> None:
    batch = event("defective_batch")
    base = before(demo.daily, batch.start)
    during = days(demo.daily, batch.start, batch.end)
    assert rate(during, "defective", "orders") > 1.8 * rate(base, "defective", "orders")
    dated = demo.orders.set_index("order_date").sort_index()
    in_batch = days(dated, batch.start, batch.end)
    by_category = in_batch.groupby("category")["defective"].mean()
    assert by_category.idxmax() == "Electronics" and by_category["Electronics"] > 0.05


def test_competitor_price_cuts_are_the_exception_of_the_last_week(demo: Demo) -> None:
    cuts = event("competitor_price_cuts")
    assert cuts.end == END_DATE
    base = before(demo.daily, cuts.start)
    first_week = days(demo.daily, cuts.start, cuts.start + 6 * DAY)
    last_week = days(demo.daily, END_DATE - 6 * DAY, END_DATE)
    price = "price_competitive_checks", "price_checks"
    assert rate(first_week, *price) < rate(base, *price) - 0.06
    assert rate(base, *price) - 0.06 < rate(last_week, *price) < rate(base, *price) - 0.03
    during = days(demo.daily, cuts.start, cuts.end)
    assert rate(during, "orders", "sessions") < 0.95 * rate(base, "orders", "sessions")


def test_grocery_launch_adds_selection_and_traffic_follows(demo: Demo) -> None:
    launch = event("grocery_launch")
    base = before(demo.daily, launch.start)
    after = days(demo.daily, launch.end + DAY, launch.end + 25 * DAY)  # before Deal Days
    assert after["active_skus"].mean() > base["active_skus"].mean() + 4_500
    assert after["sessions"].mean() > 1.04 * base["sessions"].mean()


# --- Command line ---------------------------------------------------------------------


def test_command_line_writes_the_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path / "data"), "--seed", "3"]) == 0
    assert (tmp_path / "data" / "site_daily.csv").stat().st_size > 50_000
    assert (tmp_path / "data" / "orders.csv").stat().st_size > 10_000_000
    assert "orders.csv" in capsys.readouterr().out


def test_module_help_runs_without_warnings() -> None:
    result = subprocess.run(
        [sys.executable, "-W", "error", "-m", "wbr.demo.generate", "--help"],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert "--seed" in result.stdout and "--out" in result.stdout


# --- metrics.yaml: the registry at its best ------------------------------------------


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.model_validate(YAML(typ="safe").load(METRICS_YAML.read_text()))


def deck_order(registry: Registry) -> list[str]:
    return [name for section in registry.deck.sections for name in section.metrics]


def test_project_and_sources_point_at_the_demo_data(registry: Registry) -> None:
    assert registry.project.name == "Acme Retail"
    assert registry.project.week_ends_on.value == "saturday"
    assert registry.project.fiscal_year_end_month == 12
    assert {name: s.path for name, s in registry.sources.items()} == {
        "site_daily": "demo/data/site_daily.csv",
        "orders": "demo/data/orders.csv",
        "plan_daily": "demo/data/plan_daily.csv",
    }
    assert registry.sources["site_daily"].date_column == SITE_COLUMNS[0]
    assert registry.sources["orders"].date_column == "order_date"


def test_every_referenced_metric_exists(registry: Registry) -> None:
    names = set(registry.metrics_by_name)
    assert len(names) == len(registry.metrics)  # no duplicates
    assert set(deck_order(registry)) <= names
    for metric in registry.metrics:
        assert set(metric.depends_on) <= names, metric.name
        for target in metric.drives:
            assert registry.metric(target).kind is MetricKind.OUTPUT, (metric.name, target)
        if metric.kind is MetricKind.OUTPUT:
            assert metric.drives == ()


def test_every_metric_is_shown_or_serves_a_shown_metric(registry: Registry) -> None:
    shown = set(deck_order(registry))
    parts = {part for name in shown for part in registry.metric(name).depends_on}
    targets = {
        target.metric
        for name in shown
        if (target := registry.metric(name).target) is not None and target.metric
    }
    docs = (REPO_ROOT / "docs" / "demo.md").read_text()
    examples = docs.split("## Registry examples outside the deck", 1)[1]
    for metric in registry.metrics:
        if metric.name not in shown | parts | targets:
            assert f"`{metric.name}`" in examples, metric.name


def test_deck_shows_the_six_inputs_first_then_the_outputs(registry: Registry) -> None:
    sections = {section.title: section.metrics for section in registry.deck.sections}
    assert sections["Controllable inputs"] == (
        "active_skus",
        "in_stock_rate",
        "price_competitiveness",
        "avg_delivery_days",
        "delivery_days_p90",
        "page_latency_ms",
        "defect_rate",
    )
    assert sections["Outputs"] == (
        "sessions",
        "orders",
        "conversion_rate",
        "revenue",
        "average_order_value",
    )
    kinds = [registry.metric(name).kind for name in deck_order(registry)]
    first_output = kinds.index(MetricKind.OUTPUT)
    assert MetricKind.INPUT not in kinds[first_output:]


def test_deck_metrics_are_fully_described(registry: Registry) -> None:
    for name in deck_order(registry):
        metric = registry.metric(name)
        assert metric.label and metric.label != metric.name
        assert metric.description.endswith(".") and metric.description.count(". ") == 0, name
        assert re.fullmatch(
            r"[A-Z][a-z]+ [A-Z][a-z]+ \([A-Z][A-Za-z ]+\)", registry.owner_display(metric.owner)
        ), name
        assert metric.decimals is not None, name
        if metric.kind is MetricKind.INPUT:
            assert metric.drives, name


def test_rates_are_percent_ratios_held_as_fractions(registry: Registry) -> None:
    for metric in registry.metrics:
        if metric.unit is Unit.PERCENT:
            assert isinstance(metric.aggregation, RatioAggregation), metric.name
            # A percent metric holds a fraction (0.953) and is shown as 95.3 %.
            assert metric.aggregation.scale == 1, metric.name
            assert metric.compared_as.value == "bps"


def test_uses_every_aggregation_type_and_both_comparisons(registry: Registry) -> None:
    kinds = {metric.aggregation.type for metric in registry.metrics}
    assert kinds == {
        "sum",
        "count",
        "mean",
        "min",
        "max",
        "first",
        "last",
        "count_distinct",
        "median",
        "percentile",
        "ratio",
        "formula",
    }
    assert registry.metric("active_skus").aggregation == LastAggregation(
        type="last", column="active_skus"
    )
    assert {m.compared_as.value for m in registry.metrics} == {"percent", "bps"}
    assert any(getattr(m.aggregation, "filters", ()) for m in registry.metrics)
    assert {m.target.metric for m in registry.metrics if m.target} == {
        "orders_plan",
        "revenue_plan",
    }
    lower = {m.name for m in registry.metrics if m.direction.value == "lower_is_better"}
    assert {"avg_delivery_days", "page_latency_ms", "defect_rate"} <= lower


def test_every_column_a_metric_reads_is_in_the_generated_files(
    registry: Registry, demo: Demo
) -> None:
    files = {
        "site_daily": demo.files.site_daily,
        "orders": demo.files.orders,
        "plan_daily": demo.files.plan,
    }
    headers = {name: pd.read_csv(path, nrows=0).columns for name, path in files.items()}
    for name, source in registry.sources.items():
        assert source.path.endswith(files[name].name)
    for metric in registry.metrics:
        if not metric.reads_source:
            continue
        assert metric.source in headers, metric.name
        agg = metric.aggregation
        columns = [getattr(agg, "column", None)] + [f.column for f in getattr(agg, "filters", ())]
        columns += list(metric.dimensions)
        for column in filter(None, columns):
            assert column in headers[metric.source], (metric.name, column)


def test_docs_list_every_metric_with_its_owner(registry: Registry) -> None:
    lines = (REPO_ROOT / "docs" / "demo.md").read_text().splitlines()
    for metric in registry.metrics:
        row = f"| `{metric.name}` | {metric.kind.value} | {registry.owner_display(metric.owner)} |"
        assert any(line.startswith(row) for line in lines), metric.name
