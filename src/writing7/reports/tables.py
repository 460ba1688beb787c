"""Markdown and plain-text tables of an evaluation report (``reports/evaluation.json``)."""

from __future__ import annotations

from typing import Any

METRIC_COLUMNS = (
    ("AUC", "auc"), ("c@1", "c_at_1"), ("F0.5u", "f05_u"), ("F1", "f1"), ("Brier", "brier"),
    ("overall", "overall"), ("AUC (ranking)", "auc_ranking"), ("ECE", "ece"), ("ECE floor", "ece_if_calibrated"), ("MCE", "mce"),
    ("abstained", "abstained"),
)
COMPACT_METRICS = (("AUC", "auc"), ("overall", "overall"), ("ECE", "ece"))


def format_value(value: Any) -> str:
    """Three decimals for metrics, integers as they are, ``n/a`` for undefined (None)."""
    if value is None:
        return "n/a"
    if isinstance(value, bool) or isinstance(value, int):
        return str(value)
    return f"{value:.3f}"


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join([*lines, *("| " + " | ".join(row) + " |" for row in rows)])


def task_table(task: dict[str, Any]) -> str:
    """One row per system, the PAN suite and calibration errors as columns."""
    header = ["system", *(title for title, _ in METRIC_COLUMNS)]
    rows = [[name, *(format_value(metrics.get(key)) for _, key in METRIC_COLUMNS)] for name, metrics in task["systems"].items()]
    return markdown_table(header, rows)


def evaluation_markdown(report: dict[str, Any]) -> str:
    """The whole report: what was evaluated, one table per task, notes, and the plots."""
    lines = ["# Evaluation", "", f"Evaluated on: {report['source']}.", ""]
    calibration = report.get("calibration", {})
    if calibration:
        lines += [f"Calibration: {calibration.get('method')} scaling, threshold for {calibration.get('target_metric')}, "
                  "abstention band maximising PAN overall (answers inside the band are 0.5).", ""]
    for name, task in report["tasks"].items():
        lines += [f"## {name} ({task['pairs']} pairs, {task['positives']} positive; {task['calibration']} calibration)", "", task_table(task), ""]
        notes = [f"{system}: {note}" for system, metrics in task["systems"].items() for note in metrics.get("notes", [])]
        lines += [f"- {note}" for note in notes] + ([""] if notes else [])
    if report.get("notes"):
        lines += ["## Notes", "", *(f"- {note}" for note in report["notes"]), ""]
    if report.get("plots"):
        lines += ["## Plots", "", *(f"![{path}]({path})" for path in report["plots"]), ""]
    lines += ["AUC, c@1, F0.5u, F1, Brier (complement) and overall follow the PAN authorship-verification evaluator "
              "on the PAN answers; AUC (ranking), ECE and MCE (15 equal-width bins) use the probability itself. "
              "ECE floor: the mean ECE of perfectly calibrated labels drawn at the same probabilities (finite-sample bias).", ""]
    return "\n".join(lines)


def compact_summary(report: dict[str, Any], *, tasks: tuple[str, ...] = ("book", "author", "pan")) -> dict[str, dict[str, dict[str, Any]]]:
    """``{system: {task: {auc, overall, ece}}}`` for the headline tasks present in the report."""
    summary: dict[str, dict[str, dict[str, Any]]] = {}
    for task_name in (name for name in tasks if name in report["tasks"]):
        for system, metrics in report["tasks"][task_name]["systems"].items():
            summary.setdefault(system, {})[task_name] = {key: metrics.get(key) for _, key in COMPACT_METRICS}
    return summary


def compact_text_table(summary: dict[str, dict[str, dict[str, Any]]]) -> str:
    """A fixed-width table for the terminal: systems down, ``task AUC / overall / ECE`` across."""
    task_names = list(dict.fromkeys(task for per_task in summary.values() for task in per_task))
    header = ["system", *(f"{task} {title}" for task in task_names for title, _ in COMPACT_METRICS)]
    rows = [[system, *(format_value(per_task.get(task, {}).get(key)) for task in task_names for _, key in COMPACT_METRICS)]
            for system, per_task in summary.items()]
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows])
