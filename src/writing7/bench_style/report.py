"""The benchmark's outputs: ``style_bench.json``, ``style_bench.md`` and ``style_bench.png``, written atomically."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from writing7.artifacts import atomic_write_bytes, atomic_write_json, atomic_write_text
from writing7.bench_style.scoring import ROW_KINDS
from writing7.reports.tables import format_value, markdown_table

REPORT_STEM = "style_bench"
ROW_LABELS = {"imitation": "LLM imitation", "neutral": "neutral LLM (no style prompt)", "control": "real text (control)"}
TABLE_COLUMNS = (
    ("n", "n"), ("sim target", "similarity_target"), ("sim others", "similarity_others"), ("margin", "margin"),
    ("P(author) target", "p_same_author_target"), ("P(author) others", "p_same_author_others"),
    ("top-1", "top1_accuracy"), ("mean rank", "mean_rank"),
)
IMITATION_COLUMNS = (
    ("towards", "towards_share"), ("away", "away_share"), ("STYLL towards", "styll_towards"),
    ("STYLL away", "styll_away"), ("confusion", "confusion"),
)
DEFINITIONS = (
    "sim target / sim others: mean calibrated style similarity to the target author's reference chunks / "
    "mean over the other candidate authors; P(author): the same with calibrated P(same author).",
    "top-1: share of passages whose most similar candidate author is the target; mean rank: rank of the target "
    "among the candidates (1 = best).",
    "towards / away: share of imitations more / less similar to the target than the neutral control on the same brief.",
    "STYLL towards = clip((s(i,T) - s(n,T)) / (1 - s(n,T)), 0, 1); STYLL away = clip((1 - s(i,n)) / (1 - s(n,T)), 0, 1) "
    "(Patel et al. 2022, with the neutral control as source).",
    "confusion: share of imitations attributed to another author (1 - top-1); the neutral row is the same "
    "K passages scored against each target (a chance-level baseline).",
)


def author_table(authors: list[dict[str, Any]], overall: Mapping[str, Mapping[str, Any]]) -> str:
    """One row per (author, row kind) and the macro-averaged overall rows."""
    header = ["author", "row", *(title for title, _ in TABLE_COLUMNS), *(title for title, _ in IMITATION_COLUMNS)]
    rows = []
    for name, rows_by_kind in [*((entry["author"], entry["rows"]) for entry in authors), ("**overall**", overall)]:
        for kind in ROW_KINDS:
            if kind not in rows_by_kind:
                continue
            row = rows_by_kind[kind]
            imitation = [format_value(row.get(key)) if kind == "imitation" else "" for _, key in IMITATION_COLUMNS]
            rows.append([name, ROW_LABELS[kind], *(format_value(row.get(key)) for _, key in TABLE_COLUMNS), *imitation])
    return markdown_table(header, rows)


def markdown(report: Mapping[str, Any]) -> str:
    lines = [
        "# Style imitation benchmark", "",
        f"LLM: {report['llm']}. Matcher: `{report['model']}` ({'calibrated' if report['calibrated'] else 'UNCALIBRATED'}). "
        f"Prompt mode: {report['config']['prompt_mode']}; {report['config']['samples']} samples per author; "
        f"candidates: {', '.join(report['candidates'])}.", "",
        f"Wall time {report['timing']['wall_s']:.1f} s (generation {report['timing']['generation_s']:.1f} s, "
        f"scoring {report['timing']['scoring_s']:.1f} s).", "",
        author_table(report["authors"], report["overall"]), "",
    ]
    confused = [f"{entry['author']} imitations were most often attributed to {entry['rows']['imitation']['confused_with']}"
                for entry in report["authors"] if entry["rows"]["imitation"].get("confused_with")]
    fallbacks = [entry["author"] for entry in report["authors"] if not entry["references_from_other_books"]]
    notes = [*confused, *(f"{author}: one book only, references are other chunks of the excerpt's book" for author in fallbacks)]
    lines += ["## Notes", "", *(f"- {note}" for note in notes)] + ([""] if notes else [])
    lines += ["## Definitions", "", *(f"- {text}" for text in DEFINITIONS), "", f"![similarity per author]({REPORT_STEM}.png)", ""]
    return "\n".join(lines)


def similarity_figure(authors: list[dict[str, Any]]) -> Figure:
    """Grouped bars per author: similarity to the target vs to the others, for each row kind."""
    figure = Figure(figsize=(max(6.0, 2.2 * len(authors) + 2), 4.5))
    axes = figure.add_subplot()
    bars = [(kind, side) for kind in ROW_KINDS for side in ("target", "others")]
    colours = {"imitation": "tab:blue", "neutral": "tab:grey", "control": "tab:green"}
    width = 0.8 / len(bars)
    for position, (kind, side) in enumerate(bars):
        heights = [entry["rows"][kind][f"similarity_{side}"] for entry in authors]
        offsets = [index - 0.4 + width * (position + 0.5) for index in range(len(authors))]
        axes.bar(offsets, heights, width, color=colours[kind], alpha=1.0 if side == "target" else 0.45,
                 hatch="" if side == "target" else "//", label=f"{ROW_LABELS[kind]} → {side}")
    axes.set_xticks(range(len(authors)), [entry["author"] for entry in authors], rotation=15, fontsize=8)
    axes.set(ylabel="mean style similarity", ylim=(0, 1), title="Style similarity to the imitated author vs the others")
    axes.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    return figure


def png_bytes(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def write_reports(report: Mapping[str, Any], out_dir: Path) -> dict[str, Path]:
    """Write the JSON, Markdown and PNG next to each other (each file atomically); return their paths."""
    out_dir = Path(out_dir)
    paths = {suffix: out_dir / f"{REPORT_STEM}.{suffix}" for suffix in ("json", "md", "png")}
    atomic_write_bytes(paths["png"], png_bytes(similarity_figure(report["authors"])))
    atomic_write_text(paths["md"], markdown(report))
    atomic_write_json(paths["json"], report)
    return paths
