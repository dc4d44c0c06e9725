"""Intent-confidence calibration from `rasa test nlu --successes` reports (stdlib only).

    python scripts/nlu_calibration.py reports/rasa/nlu reports/rasa/realstyle \
        [--json OUT] [--config rasa_project/config.yml]

For each report folder (its ``intent_successes.json`` and ``intent_errors.json``) it prints
the expected calibration error (ECE, 10 equal-width confidence bins) and the reliability
table, then, over all folders together, the FallbackClassifier threshold that the data
supports: the one that maximises

    (correct answers kept) - (wrong answers kept)

i.e. a message is better sent to the fallback ("¿me lo dices de otra forma?") as soon as the
model is more likely wrong than right at that confidence. Only aggregate numbers are
printed — never a message — so it may be run on the held-out and real-style sets. With
``--config`` it also says whether the pipeline's FallbackClassifier threshold is the
recommended one.
`rasa test nlu` scores the intent before the FallbackClassifier (it undoes its prediction),
so the confidences here are DIET's own.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

BINS = 10
CANDIDATES = [round(0.05 * i, 2) for i in range(2, 19)]  # 0.10 ... 0.90


@dataclass(frozen=True)
class Prediction:
    confidence: float
    correct: bool


def load(folder: Path) -> list[Prediction]:
    """The intent predictions of one report folder (successes and errors)."""
    found: list[Prediction] = []
    for name, correct in (("intent_successes.json", True), ("intent_errors.json", False)):
        path = folder / name
        if not path.exists():
            if correct:
                raise SystemExit(f"{path} missing: run `rasa test nlu` with --successes")
            continue
        for item in json.loads(path.read_text()):
            confidence = float(item["intent_prediction"]["confidence"] or 0.0)
            found.append(Prediction(confidence, correct))
    return found


def reliability(preds: list[Prediction]) -> list[dict[str, float]]:
    """One row per bin [lo, hi): count, mean confidence, accuracy."""
    rows = []
    for b in range(BINS):
        lo, hi = b / BINS, (b + 1) / BINS
        inside = [
            p for p in preds if lo <= p.confidence < hi or (b == BINS - 1 and p.confidence >= 1)
        ]
        n = len(inside)
        rows.append(
            {
                "lo": lo,
                "hi": hi,
                "n": n,
                "confidence": sum(p.confidence for p in inside) / n if n else 0.0,
                "accuracy": sum(p.correct for p in inside) / n if n else 0.0,
            }
        )
    return rows


def ece(preds: list[Prediction]) -> float:
    """Expected calibration error: bin-weighted |accuracy - confidence|."""
    total = len(preds)
    return sum(r["n"] / total * abs(r["accuracy"] - r["confidence"]) for r in reliability(preds))


def utility(preds: list[Prediction], threshold: float) -> int:
    kept = [p for p in preds if p.confidence >= threshold]
    return sum(1 if p.correct else -1 for p in kept)


def best_threshold(preds: list[Prediction]) -> float:
    """The candidate with the highest utility; ties go to the lowest (fewer fallbacks)."""
    return max(CANDIDATES, key=lambda t: (utility(preds, t), -t))


def configured_threshold(config: Path) -> float | None:
    """The FallbackClassifier `threshold` in a Rasa config.yml (a tiny reader, no YAML)."""
    in_fallback = False
    for line in config.read_text().splitlines():
        if re.match(r"\s*- name:", line):
            in_fallback = line.split(":", 1)[1].strip() == "FallbackClassifier"
        elif in_fallback and (match := re.match(r"\s+threshold:\s*([0-9.]+)", line)):
            return float(match.group(1))
    return None


def summary(name: str, preds: list[Prediction]) -> dict[str, object]:
    return {
        "set": name,
        "n": len(preds),
        "accuracy": sum(p.correct for p in preds) / len(preds),
        "mean_confidence": sum(p.confidence for p in preds) / len(preds),
        "ece": ece(preds),
        "bins": reliability(preds),
    }


def print_summary(s: dict[str, object]) -> None:
    print(
        f"{s['set']}: n={s['n']} accuracy {s['accuracy']:.3f} "
        f"mean confidence {s['mean_confidence']:.3f} ECE {s['ece']:.3f}"
    )
    print("  bin        n   conf   acc")
    for row in s["bins"]:  # type: ignore[attr-defined]
        if row["n"]:
            print(
                f"  {row['lo']:.1f}-{row['hi']:.1f} {row['n']:5d}  {row['confidence']:.3f}  "
                f"{row['accuracy']:.3f}"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    parser.add_argument("--config", type=Path, help="Rasa config.yml to compare with")
    args = parser.parse_args(argv)
    everything: list[Prediction] = []
    summaries = []
    for folder in args.folders:
        preds = load(folder)
        everything.extend(preds)
        summaries.append(summary(folder.name, preds))
        print_summary(summaries[-1])
    chosen = best_threshold(everything)
    rates = {
        f"{t:.2f}": {
            "fallback_rate": sum(p.confidence < t for p in everything) / len(everything),
            "kept_accuracy": (
                sum(p.correct for p in everything if p.confidence >= t)
                / max(1, sum(p.confidence >= t for p in everything))
            ),
            "utility": utility(everything, t),
        }
        for t in CANDIDATES
    }
    print("threshold  fallback  kept-acc  utility (all sets together)")
    for t, r in rates.items():
        mark = "  <- chosen" if float(t) == chosen else ""
        print(
            f"  {t}     {r['fallback_rate']:.3f}     {r['kept_accuracy']:.3f}   "
            f"{r['utility']:5d}{mark}"
        )
    print(f"recommended FallbackClassifier threshold: {chosen:.2f}")
    if args.config:
        current = configured_threshold(args.config)
        if current is None:
            print(f"no FallbackClassifier threshold found in {args.config}")
        elif abs(current - chosen) < 1e-9:
            print(f"config.yml uses it ({current:.2f})")
        else:
            gap = utility(everything, chosen) - utility(everything, current)
            print(
                f"config.yml uses {current:.2f}: {gap} fewer net correct answers on these sets "
                "(a gap of a few messages is noise; re-check after the next data change)"
            )
    if args.json:
        result = {"sets": summaries, "thresholds": rates, "recommended_threshold": chosen}
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
