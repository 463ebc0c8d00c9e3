"""`wbr import-wbr-app`: names, metrics, functions, the deck, the report, the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from wbr.cli import main
from wbr.errors import ConfigError
from wbr.importers.names import NameMap, snake_case
from wbr.importers.notes import ImportNote, NoteLevel
from wbr.importers.wbr_app import ImportResult, import_wbr_app
from wbr.importers.wbr_app.query import UntranslatableQuery, query_to_filters
from wbr.registry.loader import load_registry, validate_file
from wbr.registry.problems import errors

SCENARIOS = Path(__file__).parent / "conformance" / "wbr_app"
CSV_HEADER = "Date,PageViews,Clicks,Impressions,Desktop Pct,Country\n"
CSV_ROWS = [
    '"Sun, 05-Jan-2020","1,000",10,100,0.5,US\n',
    '"Mon, 06-Jan-2020",2000,20,200,0.6,UK\n',
]
SETUP = {"week_ending": "25-SEP-2021", "week_number": 38, "title": "Acme WBR"}


def write_project(
    folder: Path,
    metrics: dict[str, Any],
    deck: list[Any] | None = None,
    setup: dict[str, Any] | None = None,
    rows: list[str] | None = None,
    **extra: Any,
) -> tuple[Path, Path]:
    """A reference config and its CSV (in data/); returns (config, csv)."""
    data = folder / "data" / "export.csv"
    data.parent.mkdir(parents=True, exist_ok=True)
    data.write_text(CSV_HEADER + "".join(CSV_ROWS if rows is None else rows), encoding="utf-8")
    if deck is None:
        deck = [
            {"block": {"ui_type": "6_12Graph", "title": name, "metrics": {name: {}}}}
            for name in metrics
        ]
    config = {"setup": SETUP if setup is None else setup, "metrics": metrics, "deck": deck, **extra}
    config_file = folder / "config.yaml"
    with config_file.open("w", encoding="utf-8") as handle:
        YAML().dump(config, handle)  # round-trip: keeps the order of keys
    return config_file, data


def run(folder: Path, metrics: dict[str, Any], **kwargs: Any) -> ImportResult:
    config, data = write_project(folder, metrics, **kwargs)
    result = import_wbr_app(config, data, folder / "metrics.yaml")
    assert not errors(list(result.problems)), [p.render() for p in result.problems]
    return result


def metric(result: ImportResult, name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(m for m in result.registry["metrics"] if m["name"] == name)
    return found


def notes_at(result: ImportResult, level: NoteLevel) -> list[ImportNote]:
    return [note for note in result.notes if note.level is level]


def noted(result: ImportResult, level: NoteLevel, where: str, text: str = "") -> bool:
    return any(where in n.where and text in n.message for n in notes_at(result, level))


PAGE_VIEWS = {"PageViews": {"column": "PageViews", "aggf": "sum"}}
CLICKS_AND_IMPRESSIONS = {
    "Clicks": {"column": "Clicks", "aggf": "sum"},
    "Impressions": {"column": "Impressions", "aggf": "sum"},
}


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("PageViews TARGET", "page_views_target"),
        ("PageViewsFiscal", "page_views_fiscal"),
        ("MobilePage_Views", "mobile_page_views"),
        ("vsFTSignUps", "vs_ft_sign_ups"),
        ("TotalPMs_TARGET", "total_pms_target"),
        ("Weekly404sDivideFatals", "weekly404s_divide_fatals"),
        ("CAC", "cac"),
        ("HTTPServer", "http_server"),
        ("404s", "m_404s"),
        ("---", "metric"),
    ],
)
def test_names_become_lower_snake_case(original: str, expected: str) -> None:
    assert snake_case(original) == expected


def test_names_that_collide_get_a_suffix() -> None:
    names = NameMap()
    assert [names.add(n) for n in ("PageViews", "Page_Views", "page views")] == [
        "page_views",
        "page_views_2",
        "page_views_3",
    ]
    assert names.add("PageViews") == "page_views"


def test_column_metrics_and_the_source(tmp_path: Path) -> None:
    metrics = {
        f"Latency{aggf.title()}": {"column": "Clicks", "aggf": aggf}
        for aggf in ("sum", "mean", "min", "max", "first", "last")
    }
    result = run(tmp_path, metrics)
    for aggf in ("sum", "mean", "min", "max", "first", "last"):
        assert metric(result, f"latency_{aggf}")["aggregation"] == {
            "type": aggf,
            "column": "Clicks",
        }
    source = result.registry["sources"]["export"]
    assert source == {
        "kind": "csv",
        "path": "data/export.csv",
        "date_column": "Date",
        "date_format": "%a, %d-%b-%Y",
        "incremental": {"lookback": 7},  # a refresh reads the new days, not a full rebuild
    }
    assert noted(result, NoteLevel.INFO, "sources.export", "incrementally")
    first = metric(result, "latency_sum")
    assert (first["kind"], first["owner"], first["source"]) == ("output", "unassigned", "export")
    assert "imported" in first["description"].lower()
    assert noted(result, NoteLevel.TODO, "metrics", "owner")


def test_each_function_type(tmp_path: Path) -> None:
    def function(kind: str, *names: str) -> dict[str, Any]:
        return {"function": {kind: [{"metric": {"name": name}} for name in names]}}

    metrics = {
        **CLICKS_AND_IMPRESSIONS,
        "CTR": function("divide", "Clicks", "Impressions"),
        "Both": function("sum", "Clicks", "Impressions"),
        "Gap": function("difference", "Impressions", "Clicks"),
        "Product": function("product", "Clicks", "Impressions"),
        "Ratio Of Ratio": function("divide", "CTR", "Later"),  # a later function metric
        "Later": function("sum", "Clicks", "Clicks"),
    }
    result = run(tmp_path, metrics)
    assert metric(result, "ctr")["aggregation"] == {
        "type": "ratio",
        "numerator": "clicks",
        "denominator": "impressions",
    }
    assert metric(result, "both")["aggregation"] == {
        "type": "formula",
        "expression": "clicks + impressions",
    }
    assert metric(result, "gap")["aggregation"]["expression"] == "impressions - clicks"
    assert metric(result, "product")["aggregation"]["expression"] == "clicks * impressions"
    assert metric(result, "ratio_of_ratio")["aggregation"]["denominator"] == "later"
    assert "source" not in metric(result, "ctr")


def test_a_function_over_a_missing_metric_is_left_out_with_its_dependents(tmp_path: Path) -> None:
    metrics = {
        **CLICKS_AND_IMPRESSIONS,
        "Broken": {
            "function": {"divide": [{"metric": {"name": "Nope"}}, {"metric": {"name": "Clicks"}}]}
        },
        "OnBroken": {
            "function": {"sum": [{"metric": {"name": "Broken"}}, {"metric": {"name": "Clicks"}}]}
        },
        "Loop A": {
            "function": {"sum": [{"metric": {"name": "Loop B"}}, {"metric": {"name": "Clicks"}}]}
        },
        "Loop B": {
            "function": {"sum": [{"metric": {"name": "Loop A"}}, {"metric": {"name": "Clicks"}}]}
        },
    }
    result = run(tmp_path, metrics)
    assert {m["name"] for m in result.registry["metrics"]} == {"clicks", "impressions"}
    assert noted(result, NoteLevel.NOT_TRANSLATED, "metrics.Broken", "`Nope`")
    assert noted(result, NoteLevel.NOT_TRANSLATED, "metrics.OnBroken", "`Broken`")
    assert noted(result, NoteLevel.NOT_TRANSLATED, "metrics.Loop A", "cycle")
    assert noted(result, NoteLevel.NOT_TRANSLATED, "deck block 3 `Broken`", "not translated")


def test_extra_operands_are_noted(tmp_path: Path) -> None:
    operands = [{"metric": {"name": n}} for n in ("Clicks", "Impressions", "Clicks")]
    metrics = {**CLICKS_AND_IMPRESSIONS, "Gap": {"function": {"difference": operands}}}
    result = run(tmp_path, metrics)
    assert metric(result, "gap")["aggregation"]["expression"] == "clicks - impressions"
    assert noted(result, NoteLevel.CHANGED, "metrics.Gap.function.difference", "first two")


def test_bps_and_the_ignored_box_total_scaling(tmp_path: Path) -> None:
    metrics = {
        "Desktop Pct": {"column": "Desktop Pct", "aggf": "mean", "metric_comparison_method": "bps"},
        "Share": {"column": "Desktop Pct", "aggf": "mean", "box_total_scaling": "bps"},
    }
    result = run(tmp_path, metrics)
    assert metric(result, "desktop_pct")["comparison"] == "bps"
    assert "comparison" not in metric(result, "share")
    assert noted(result, NoteLevel.NOT_TRANSLATED, "metrics.Share.box_total_scaling", "percent")


def test_filters_become_structured(tmp_path: Path) -> None:
    metrics = {
        "US Views": {
            "filter": {"base_column": "PageViews", "query": "Country == 'US'"},
            "aggf": "sum",
        },
        "Odd": {
            "filter": {"base_column": "PageViews", "query": "Country == 'US' or Clicks > 3"},
            "aggf": "sum",
        },
    }
    result = run(tmp_path, metrics)
    assert metric(result, "us_views")["aggregation"] == {
        "type": "sum",
        "column": "PageViews",
        "filters": [{"column": "Country", "op": "eq", "value": "US"}],
    }
    assert noted(result, NoteLevel.NOT_TRANSLATED, "metrics.Odd.filter.query", "`and`")


def test_query_translation() -> None:
    assert query_to_filters("`Unit Price` >= 10 & Channel != 'w&b'") == [
        {"column": "Unit Price", "op": "ge", "value": 10},
        {"column": "Channel", "op": "ne", "value": "w&b"},
    ]
    assert query_to_filters("Region in ['EU', 'UK']") == [
        {"column": "Region", "op": "in", "value": ["EU", "UK"]}
    ]
    for query in ("a == 1 or b == 2", "a + 1 > 2", "a == b", "a in 3", "a =="):
        with pytest.raises(UntranslatableQuery):
            query_to_filters(query)


def test_unknown_aggregations_and_columns_are_left_out(tmp_path: Path) -> None:
    metrics = {
        **PAGE_VIEWS,
        "Spread": {"column": "PageViews", "aggf": "std"},
        "Ghost": {"column": "Nope", "aggf": "sum"},
        "Odd": {"column": "PageViews", "aggf": "sum", "colour": "red"},
    }
    result = run(tmp_path, metrics)
    assert {m["name"] for m in result.registry["metrics"]} == {"page_views", "odd"}
    assert noted(result, NoteLevel.NOT_TRANSLATED, "metrics.Spread", "std")
    assert noted(result, NoteLevel.NOT_TRANSLATED, "metrics.Ghost", "'Nope'")
    assert noted(result, NoteLevel.NOT_TRANSLATED, "metrics.Odd.colour")


def test_setup_translation_and_its_report(tmp_path: Path) -> None:
    setup = {
        "week_ending": "30-APR-2022",
        "week_number": 16,
        "title": "Acme",
        "fiscal_year_end_month": "FEB",
        "x_axis_monthly_display": "fiscal_year",
        "block_starting_number": 1,
        "tooltip": True,
        "colour": "blue",
    }
    result = run(tmp_path, PAGE_VIEWS, setup=setup, annotations=["x"])
    assert result.registry["project"] == {
        "name": "Acme",
        "week_ends_on": "saturday",
        "fiscal_year_end_month": 2,
    }
    assert result.registry["deck"]["monthly_view"] == "fiscal_year"
    assert result.week_ending is not None and result.week_ending.isoformat() == "2022-04-30"
    assert noted(result, NoteLevel.CHANGED, "setup.week_number", "wk 17, not wk 16")
    for key in ("block_starting_number", "tooltip", "colour"):
        assert noted(result, NoteLevel.NOT_TRANSLATED, f"setup.{key}")
    assert noted(result, NoteLevel.NOT_TRANSLATED, "annotations")


def test_deck_blocks_and_their_report(tmp_path: Path) -> None:
    deck = [
        {"block": {"ui_type": "section", "title": "Traffic"}},
        {
            "block": {
                "ui_type": "6_12Graph",
                "title": "Views and clicks",
                "x_axis_monthly_display": "fiscal_year",
                "y_scaling": "##.2MM",
                "metrics": {
                    "PageViews": {"legend_name": "Page views", "line_style": "primary"},
                    "Clicks": {"graph_prior_year_flag": False},
                },
            }
        },
        {"block": {"ui_type": "6_12Graph", "title": "Views YoY", "metrics": {"PageViewsYOY": {}}}},
        {
            "block": {
                "ui_type": "12_MonthsTable",
                "title": "Table",
                "rows": [
                    {"row": {"header": "Traffic"}},
                    {"row": {"header": "Impr", "metric": "Impressions", "y_scaling": "##"}},
                    {"row": {"header": "Impr MoM", "metric": "ImpressionsMOM"}},
                    {"row": {"header": "Nope", "metric": "Nope"}},
                ],
            }
        },
        {"block": {"ui_type": "embedded_content", "source": "https://example.com"}},
    ]
    result = run(tmp_path, {**PAGE_VIEWS, **CLICKS_AND_IMPRESSIONS}, deck=deck)
    assert result.registry["deck"]["sections"] == [
        {
            "title": "Views and clicks",
            "metrics": ["page_views", "clicks"],
            "monthly_view": "fiscal_year",
        },
        {"title": "Table", "metrics": ["impressions"]},
    ]
    assert metric(result, "page_views")["label"] == "Page views"
    assert metric(result, "impressions")["label"] == "Impr"
    assert noted(result, NoteLevel.NOT_TRANSLATED, "deck block 1 `Traffic`", "section")
    assert noted(result, NoteLevel.NOT_TRANSLATED, "deck block 2 `Views and clicks`.y_scaling")
    assert noted(result, NoteLevel.CHANGED, "deck block 2", "one chart per metric")
    assert noted(result, NoteLevel.NOT_TRANSLATED, "metrics.PageViews", "line_style: primary")
    assert noted(result, NoteLevel.NOT_TRANSLATED, "metrics.Clicks", "graph_prior_year_flag")
    assert noted(result, NoteLevel.CHANGED, "deck block 3", "derived YOY series")
    assert noted(result, NoteLevel.CHANGED, "deck block 3", "already charted")
    assert noted(result, NoteLevel.NOT_TRANSLATED, "deck block 3", "no metric left")
    assert noted(result, NoteLevel.CHANGED, "deck block 4 `Table`", "12_MonthsTable")
    assert noted(result, NoteLevel.NOT_TRANSLATED, "deck block 4 `Table` row 4", "no metric `Nope`")
    assert noted(result, NoteLevel.NOT_TRANSLATED, "deck block 5", "embedded content")


def test_a_deck_with_nothing_to_chart_charts_every_metric(tmp_path: Path) -> None:
    deck = [{"block": {"ui_type": "section", "title": "Empty"}}]
    result = run(tmp_path, CLICKS_AND_IMPRESSIONS, deck=deck)
    assert result.registry["deck"]["sections"] == [
        {"title": "Imported metrics", "metrics": ["clicks", "impressions"]}
    ]
    assert noted(result, NoteLevel.CHANGED, "deck", "every metric")


@pytest.mark.parametrize(
    ("rows", "date_format"),
    [
        (["2020-05-01,1,1,1,0.5,US\n", "2020-05-02,1,1,1,0.5,US\n"], None),
        (["1/1/21,1,1,1,0.5,US\n", "1/13/21,1,1,1,0.5,US\n"], "%m/%d/%y"),
        (["13/1/2021,1,1,1,0.5,US\n"], "%d/%m/%Y"),
    ],
)
def test_the_date_format_is_detected(tmp_path: Path, rows: list[str], date_format: str) -> None:
    result = run(tmp_path, PAGE_VIEWS, rows=rows)
    assert result.registry["sources"]["export"].get("date_format") == date_format


def test_ambiguous_dates_are_read_month_first_and_noted(tmp_path: Path) -> None:
    result = run(tmp_path, PAGE_VIEWS, rows=["1/2/21,1,1,1,0.5,US\n"])
    assert result.registry["sources"]["export"]["date_format"] == "%m/%d/%y"
    assert noted(result, NoteLevel.CHANGED, "data export.csv", "%d/%m/%y")


def test_unreadable_dates_are_a_clear_error(tmp_path: Path) -> None:
    config, data = write_project(tmp_path, PAGE_VIEWS, rows=["someday,1,1,1,0.5,US\n"])
    with pytest.raises(ConfigError, match="cannot tell the format"):
        import_wbr_app(config, data, tmp_path / "metrics.yaml")


def test_a_csv_outside_the_project_is_named_by_its_absolute_path(tmp_path: Path) -> None:
    config, data = write_project(tmp_path / "reference", PAGE_VIEWS)
    output = tmp_path / "project" / "metrics.yaml"
    result = import_wbr_app(config, data, output)
    assert result.registry["sources"]["export"]["path"] == data.resolve().as_posix()


def test_the_yaml_reads_well_and_validates(tmp_path: Path) -> None:
    result = run(tmp_path, {"PageViews TARGET": {"column": "PageViews", "aggf": "sum"}})
    text = result.output.read_text(encoding="utf-8")
    assert "name: page_views_target  # wbr-app: PageViews TARGET" in text
    assert "owner: unassigned  # TODO" in text
    assert "aggregation: {type: sum, column: PageViews}" in text
    registry = load_registry(result.output)
    assert registry.metrics[0].label == "PageViews TARGET"


@pytest.mark.parametrize("scenario", [f"scenario_{n}" for n in range(1, 10)])
def test_every_reference_config_imports_and_validates(tmp_path: Path, scenario: str) -> None:
    data = tmp_path / "original.csv"
    data.write_bytes((SCENARIOS / scenario / "original.csv").read_bytes())
    result = import_wbr_app(SCENARIOS / scenario / "config.yaml", data, tmp_path / "metrics.yaml")
    assert validate_file(result.output).problems == [], result.problems
    assert result.registry["deck"]["sections"]


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, ["import-wbr-app", *args])


def test_cli_prints_the_report_and_writes_the_file(tmp_path: Path) -> None:
    config, data = write_project(
        tmp_path,
        {"Page Views": {"column": "PageViews", "aggf": "sum"}},
        setup={**SETUP, "tooltip": True},
    )
    output = tmp_path / "metrics.yaml"
    result = cli(str(config), "--data", str(data), "--output", str(output))
    assert result.exit_code == 0, result.output
    assert output.is_file()
    assert "not translated (1):" in result.output
    assert "setup.tooltip" in result.output
    assert "Page Views → page_views" in result.output
    assert f"wrote {output} (1 metric);" in result.output
    assert "--week-ending 2021-09-25" in result.output
    again = cli(str(config), "--data", str(data), "--output", str(output))
    assert again.exit_code == 1
    assert "exists; pass --force" in again.output
    forced = cli(str(config), "--data", str(data), "--output", str(output), "--force")
    assert forced.exit_code == 0, forced.output


def test_cli_errors_are_messages_not_tracebacks(tmp_path: Path) -> None:
    config, data = write_project(tmp_path, PAGE_VIEWS)
    missing = cli(str(config), "--data", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "a.yaml"))
    assert missing.exit_code == 1 and "no data file" in missing.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("setup: [\n", encoding="utf-8")
    bad = cli(str(broken), "--data", str(data), "-o", str(tmp_path / "b.yaml"))
    assert bad.exit_code == 1 and "not valid YAML" in bad.output
    assert not isinstance(bad.exception, Exception) or isinstance(bad.exception, SystemExit)


def test_cli_help() -> None:
    result = CliRunner().invoke(main, ["import-wbr-app", "--help"])
    assert result.exit_code == 0
    assert "--data" in result.output and "--force" in result.output


def test_a_refresh_of_an_imported_deck_reads_only_the_new_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The imported source is incremental, so the next ingest is not a full rebuild."""
    from datetime import date, timedelta

    def days(first: int, last: int) -> list[str]:
        start = date(2021, 1, 1)
        return [
            f"{start + timedelta(days=n)},{1000 + n},{n},{10 * n},0.5,US\n"
            for n in range(first, last)
        ]

    config, data = write_project(tmp_path, PAGE_VIEWS, rows=days(0, 400))
    output = tmp_path / "metrics.yaml"
    assert cli(str(config), "--data", str(data), "--output", str(output)).exit_code == 0
    monkeypatch.chdir(tmp_path)
    for name in ("WBR_DATABASE_URL", "WBR_RAW_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    first = CliRunner().invoke(main, ["ingest", "--no-progress"])
    assert first.exit_code == 0, first.output
    assert "incremental" not in first.output
    with data.open("a", encoding="utf-8") as handle:
        handle.writelines(days(400, 407))
    again = CliRunner().invoke(main, ["ingest", "--no-progress"])
    assert again.exit_code == 0, again.output
    # The last day loaded was 2022-02-04: the window starts a lookback of 7 days before.
    assert "loaded 15 rows from export into raw_export (incremental, from 2022-01-28)" in (
        again.output
    )
