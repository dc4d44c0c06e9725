"""scripts/nlu_calibration.py: ECE, reliability bins and the fallback threshold it picks."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "scripts" / "nlu_calibration.py"
_spec = importlib.util.spec_from_file_location("nlu_calibration", _PATH)
assert _spec is not None and _spec.loader is not None
cal = importlib.util.module_from_spec(_spec)
sys.modules["nlu_calibration"] = cal  # dataclasses look their module up while loading
_spec.loader.exec_module(cal)


def _report(folder: Path, successes: list[float], errors: list[float]) -> Path:
    folder.mkdir()
    for name, confidences in (("intent_successes", successes), ("intent_errors", errors)):
        items = [
            {"text": "x", "intent": "a", "intent_prediction": {"name": "a", "confidence": c}}
            for c in confidences
        ]
        (folder / f"{name}.json").write_text(json.dumps(items))
    return folder


def test_perfectly_calibrated_predictions_have_zero_ece() -> None:
    preds = [cal.Prediction(1.0, True)] * 8 + [cal.Prediction(0.55, True)] * 11
    preds += [cal.Prediction(0.55, False)] * 9
    assert cal.ece(preds) == pytest.approx(0.0, abs=1e-9)


def test_overconfident_errors_raise_ece_and_land_in_their_bin() -> None:
    preds = [cal.Prediction(0.95, True)] * 5 + [cal.Prediction(0.95, False)] * 5
    assert cal.ece(preds) == pytest.approx(0.45)
    top = cal.reliability(preds)[-1]
    assert (top["n"], top["accuracy"]) == (10, 0.5)


def test_threshold_drops_the_band_where_the_model_is_more_often_wrong() -> None:
    preds = [cal.Prediction(0.3, False)] * 4 + [cal.Prediction(0.3, True)] * 1
    preds += [cal.Prediction(0.5, True)] * 3 + [cal.Prediction(0.5, False)] * 1
    preds += [cal.Prediction(0.99, True)] * 20
    assert cal.best_threshold(preds) == pytest.approx(0.35)


def test_main_reads_reports_and_compares_with_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _report(tmp_path / "realstyle", [0.99] * 9 + [0.6], [0.3, 0.35])
    config = tmp_path / "config.yml"
    config.write_text(
        "pipeline:\n  - name: DIETClassifier\n    epochs: 5\n"
        "  - name: FallbackClassifier\n    threshold: 0.4\n"
    )
    out = tmp_path / "calibration.json"
    assert cal.main([str(folder), "--json", str(out), "--config", str(config)]) == 0
    printed = capsys.readouterr().out
    assert "realstyle: n=12" in printed
    assert "recommended FallbackClassifier threshold: 0.40" in printed
    assert "config.yml uses it (0.40)" in printed
    assert json.loads(out.read_text())["recommended_threshold"] == pytest.approx(0.4)
    assert "x" not in printed.split()  # never a message
