"""The reference app's `deck:` blocks → wbr deck sections.

Each `6_12Graph` block becomes one section holding its metrics' charts (wbr
draws one chart per metric) with the block's `x_axis_monthly_display` as the
section's `monthly_view`. wbr has no tables yet, so a `6_WeeksTable` or
`12_MonthsTable` becomes a section of 6-12 charts of the metrics in its rows.
Everything else is noted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wbr.importers.notes import ImportNote, NoteLevel

GRAPH = "6_12Graph"
TABLES = ("6_WeeksTable", "12_MonthsTable")
MONTHLY_VIEWS = ("trailing_twelve_months", "fiscal_year")
# The reference derives these series from every metric: XYOY, XWOW, XMOM.
DERIVED_SUFFIXES = {
    "YOY": "the YoY % is in the box under its chart",
    "WOW": "the WoW % is in the box under its chart",
    "MOM": "wbr shows no month-over-month change",
}
GRAPH_KEYS = {"ui_type", "title", "metrics", "x_axis_monthly_display", "y_scaling"}
TABLE_KEYS = {"ui_type", "title", "rows", "x_axis_monthly_display"}
FALLBACK_SECTION = "Imported metrics"


@dataclass
class DeckResult:
    sections: list[dict[str, Any]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # wbr name → chart title


@dataclass
class _Context:
    names: Mapping[str, str]  # translated reference metric → wbr name
    left_out: set[str]
    notes: list[ImportNote]
    charted: dict[str, str] = field(default_factory=dict)  # wbr name → section title

    def note(self, level: NoteLevel, where: str, message: str) -> None:
        self.notes.append(ImportNote(level, where, message))

    def resolve(self, reference: str, where: str) -> str | None:
        """The wbr metric a deck entry charts, or None (with a note) when there is none."""
        if reference in self.names:
            return self.names[reference]
        for suffix, how in DERIVED_SUFFIXES.items():
            base = reference.removesuffix(suffix)
            if reference.endswith(suffix) and base in self.names:
                self.note(
                    NoteLevel.CHANGED,
                    where,
                    f"`{reference}` is the reference's derived {suffix} series of `{base}`; wbr "
                    f"charts `{self.names[base]}` instead ({how})",
                )
                return self.names[base]
        if reference in self.left_out:
            self.note(NoteLevel.NOT_TRANSLATED, where, f"`{reference}` was not translated")
        else:
            self.note(NoteLevel.NOT_TRANSLATED, where, f"no metric `{reference}` in `metrics:`")
        return None


def translate_deck(
    blocks: Any, names: Mapping[str, str], left_out: set[str], notes: list[ImportNote]
) -> DeckResult:
    result = DeckResult()
    context = _Context(names, left_out, notes)
    for number, item in enumerate(blocks if isinstance(blocks, list) else [], start=1):
        block = item.get("block") if isinstance(item, Mapping) else None
        if not isinstance(block, Mapping):
            context.note(NoteLevel.NOT_TRANSLATED, f"deck item {number}", "not a `block:`")
            continue
        title = str(block.get("title") or "").strip()
        where = f"deck block {number}" + (f" `{title}`" if title else "")
        ui_type = block.get("ui_type")
        if ui_type == GRAPH:
            section = _graph(block, title, where, context, result.labels)
        elif ui_type in TABLES:
            section = _table(block, title, where, context, result.labels)
        else:
            context.note(NoteLevel.NOT_TRANSLATED, where, _other_block(ui_type))
            continue
        if section is not None:
            result.sections.append(section)
    if not result.sections and names:
        context.note(
            NoteLevel.CHANGED,
            "deck",
            f"no chart could be translated; every metric is charted in `{FALLBACK_SECTION}`",
        )
        result.sections.append({"title": FALLBACK_SECTION, "metrics": list(names.values())})
    return result


def _other_block(ui_type: Any) -> str:
    if ui_type == "section":
        return "section breaks are not translated: each chart block becomes its own section"
    if ui_type == "embedded_content":
        return "embedded content (an iframe) is not translated: wbr decks show metrics only"
    return f"unknown `ui_type: {ui_type}`, not translated"


def _claim(name: str, where: str, context: _Context, title: str) -> bool:
    """True when `name` is not charted yet; a metric appears once in a wbr deck."""
    if name in context.charted:
        context.note(
            NoteLevel.CHANGED,
            where,
            f"`{name}` is already charted in section `{context.charted[name]}`; wbr shows each "
            "metric once",
        )
        return False
    context.charted[name] = title
    return True


def _section(
    block: Mapping[str, Any], title: str, names: list[str], where: str, context: _Context
) -> dict[str, Any] | None:
    if not names:
        context.note(NoteLevel.NOT_TRANSLATED, where, "no metric left to chart; block left out")
        return None
    section: dict[str, Any] = {"title": title or names[0], "metrics": names}
    view = block.get("x_axis_monthly_display")
    if view in MONTHLY_VIEWS:
        section["monthly_view"] = view
    elif view is not None:
        context.note(
            NoteLevel.NOT_TRANSLATED,
            f"{where}.x_axis_monthly_display",
            f"unknown value {view!r}; the deck's monthly view is used",
        )
    for name in names:
        context.charted[name] = section["title"]
    return section


def _graph(
    block: Mapping[str, Any], title: str, where: str, context: _Context, labels: dict[str, str]
) -> dict[str, Any] | None:
    _note_unknown(block, GRAPH_KEYS, where, context)
    if "y_scaling" in block:
        context.note(
            NoteLevel.NOT_TRANSLATED,
            f"{where}.y_scaling",
            f"`{block['y_scaling']}` is not translated: set the metric's `unit:` and `decimals:` "
            "(e.g. `unit: percent` for `##.1%`; counts are shown compact, 1.23M)",
        )
    metrics = block.get("metrics")
    if not isinstance(metrics, Mapping) or not metrics:
        context.note(NoteLevel.NOT_TRANSLATED, where, "has no `metrics:`; block left out")
        return None
    if len(metrics) > 1:
        context.note(
            NoteLevel.CHANGED,
            where,
            f"draws {len(metrics)} metrics in one chart; wbr draws one chart per metric (for a "
            "plan line, set `target: {metric: …}` on the metric it is the plan for)",
        )
    names: list[str] = []
    for reference, settings in metrics.items():
        settings = settings if isinstance(settings, Mapping) else {}
        name = context.resolve(str(reference), where)
        if name is None or not _claim(name, where, context, title):
            continue
        names.append(name)
        if reference in context.names:  # not a derived series: its legend names it
            labels.setdefault(name, str(settings.get("legend_name") or title or reference))
        _note_line_settings(settings, f"{where}.metrics.{reference}", context)
    return _section(block, title, names, where, context)


def _note_line_settings(settings: Mapping[str, Any], where: str, context: _Context) -> None:
    ignored = []
    for key, value in settings.items():
        if key == "legend_name" or (key == "graph_prior_year_flag" and value is True):
            continue
        if key == "graph_prior_year_flag":
            ignored.append("graph_prior_year_flag: false (wbr always draws the prior year)")
        elif key == "line_style":
            ignored.append(f"line_style: {value} (wbr draws this year bold, last year faint)")
        else:
            ignored.append(f"{key}: {value} (unknown)")
    if ignored:
        context.note(NoteLevel.NOT_TRANSLATED, where, "; ".join(ignored))


def _table(
    block: Mapping[str, Any], title: str, where: str, context: _Context, labels: dict[str, str]
) -> dict[str, Any] | None:
    _note_unknown(block, TABLE_KEYS, where, context)
    names: list[str] = []
    rows = block.get("rows")
    for row_number, item in enumerate(rows if isinstance(rows, list) else [], start=1):
        row = item.get("row") if isinstance(item, Mapping) else None
        if not isinstance(row, Mapping) or not row.get("metric"):
            continue  # a header or spacer row
        row_where = f"{where} row {row_number}"
        name = context.resolve(str(row["metric"]), row_where)
        if name is not None and name not in names and _claim(name, row_where, context, title):
            names.append(name)
            if row["metric"] in context.names:  # not a derived series: its header names it
                labels.setdefault(name, str(row.get("header") or row["metric"]))
    context.note(
        NoteLevel.CHANGED,
        where,
        f"wbr has no {block.get('ui_type')} yet: the metrics of its rows are shown as 6-12 charts "
        "(their month values are the table's); row styles and y_scaling are not translated",
    )
    return _section(block, title, names, where, context)


def _note_unknown(block: Mapping[str, Any], known: set[str], where: str, ctx: _Context) -> None:
    for key in block:
        if key not in known:
            ctx.note(NoteLevel.NOT_TRANSLATED, f"{where}.{key}", "unknown setting, not translated")
