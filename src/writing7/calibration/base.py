"""What every calibrator shares, in scikit-learn's shape.

``__init__`` only stores parameters, ``fit`` learns and returns ``self``, learned values end in ``_``
(``temperature_``, ``threshold_``, ``knots_x_``), ``predict`` on an unfitted calibrator raises
:class:`NotFittedError`, and ``save`` / ``load`` write and read one JSON object::

    {"kind": "temperature", "params": {...}, "learned": {"temperature_": 1.7}}
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np

from writing7.artifacts import atomic_write_json

C = TypeVar("C", bound="Calibrator")


class NotFittedError(ValueError):
    """``predict`` was called before ``fit`` (or ``load``)."""


class Calibrator:
    """Base class: subclasses set ``kind`` and ``learned_names`` and implement ``fit`` / ``predict``."""

    kind: ClassVar[str] = ""
    learned_names: ClassVar[tuple[str, ...]] = ()

    def get_params(self) -> dict[str, Any]:
        """The ``__init__`` parameters and their current values."""
        parameters = inspect.signature(type(self).__init__).parameters.values()
        names = [p.name for p in parameters if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
        return {name: getattr(self, name) for name in names}

    def is_fitted(self) -> bool:
        return all(hasattr(self, name) for name in self.learned_names)

    def check_fitted(self) -> None:
        if not self.is_fitted():
            raise NotFittedError(
                f"{type(self).__name__} is not fitted: call fit(...) first, or load a saved calibration "
                "(`writing7 calibrate` writes them next to the model)"
            )

    # -- JSON ----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        self.check_fitted()
        learned = {name: _plain(getattr(self, name)) for name in self.learned_names}
        return {"kind": self.kind, "params": self.get_params(), "learned": learned}

    @classmethod
    def from_dict(cls: type[C], payload: dict[str, Any]) -> C:
        if payload.get("kind") != cls.kind:
            raise ValueError(f"calibration of kind {payload.get('kind')!r} cannot be loaded as {cls.__name__} (kind {cls.kind!r})")
        missing = [name for name in cls.learned_names if name not in payload.get("learned", {})]
        if missing:
            raise ValueError(f"{cls.__name__} calibration lacks {', '.join(missing)}: re-run `writing7 calibrate --force`")
        calibrator = cls(**payload.get("params", {}))
        for name in cls.learned_names:
            setattr(calibrator, name, calibrator._restore(name, payload["learned"][name]))
        return calibrator

    def _restore(self, name: str, value: Any) -> Any:
        """Turn a JSON value back into the learned attribute's type (lists become float arrays)."""
        return np.asarray(value, dtype=float) if isinstance(value, list) else value

    def save(self, path: Path) -> Path:
        return atomic_write_json(Path(path), self.to_dict())

    @classmethod
    def load(cls: type[C], path: Path) -> C:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def __repr__(self) -> str:
        params = ", ".join(f"{key}={value!r}" for key, value in self.get_params().items())
        return f"{type(self).__name__}({params})"


def _plain(value: Any) -> Any:
    """JSON-ready: arrays to lists, numpy scalars to Python numbers, tuples to lists."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


def check_binary_labels(labels: Any, scores: Any, *, what: str) -> tuple[np.ndarray, np.ndarray]:
    """1-D float scores and boolean labels of one length, finite, with both classes present."""
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels).astype(bool)
    if scores.ndim != 1 or scores.shape != labels.shape:
        raise ValueError(f"{what}: scores {scores.shape} and labels {labels.shape} must be 1-D arrays of one length")
    if not np.isfinite(scores).all():
        raise ValueError(f"{what}: {int((~np.isfinite(scores)).sum())} scores are NaN or infinite; fix the scorer or drop them")
    if labels.all() or not labels.any():
        raise ValueError(
            f"{what}: labels hold one class only ({labels.size} pairs, {int(labels.sum())} positive); "
            "calibration needs both positive and negative pairs (check the validation split or the dev file)"
        )
    return scores, labels
