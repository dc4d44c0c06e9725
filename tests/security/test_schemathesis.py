"""A bounded schemathesis run against the app's own OpenAPI spec: no 500s, no response that
breaks the spec.

The real app (`create_app`, lifespan and worker) runs behind a real uvicorn on a SQLite copy
of the migrated template with the demo shop seeded; every generated request carries the
demo shop's admin token. For each operation schemathesis generates `EXAMPLES` valid cases
and `EXAMPLES` invalid ones (negative mode), each response is checked for a server error and
against the spec (status code documented, content type, headers, body schema). Hypothesis
runs with a fixed seed and no example database, so a run is repeatable, and the whole run
stays well under `BUDGET_S`. Rasa is not needed: the admin routes and the webhooks never
call it, and `/health` asks the fake Rasa of `tests/fakes` (a real 503 would count as a
server error).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import checks
from schemathesis.generation import GenerationMode

from db.seed import load_demo
from db.session import make_engine, make_session_factory
from orchestrator.app import create_app
from tests.fakes.rasa import FakeRasa
from tests.integration.orchestrator.conftest import serve, settings_for

SEED = 20261202
EXAMPLES = 60  # per operation and generation mode
BUDGET_S = 180.0
ADMIN_TOKEN = "schemathesis-demo-token-0123456789abcdef"
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@dataclass
class Tally:
    """What the run did: cases per operation and the failures found."""

    cases: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    # Operations with nothing to make invalid (the webhooks declare no parameters).
    no_negative: list[str] = field(default_factory=list)
    # A failure Hypothesis could not reproduce on replay, whose operation then passed a
    # whole second run: printed in full (to be investigated), not counted as a failure.
    not_reproduced: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.cases.values())


@pytest.fixture
def live_demo(sqlite_template: Path, tmp_path: Path, fake_rasa: FakeRasa) -> Iterator[str]:
    """Base URL of the real app on a SQLite database with the demo shop seeded."""
    db = tmp_path / "demo.db"
    shutil.copyfile(sqlite_template, db)
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        load_demo(session, admin_token=ADMIN_TOKEN)
        session.commit()
    engine.dispose()
    app = create_app(settings_for(url, fake_rasa.url, None))
    with serve(app) as base:
        yield base


def _run_operation(
    operation: Any, mode: GenerationMode, base: str, http: requests.Session, tally: Tally
) -> None:
    label = f"{operation.label} [{mode.value}]"
    tally.cases[label] = 0

    @hypothesis.seed(SEED)
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        tally.cases[label] += 1
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        response = case.call(base_url=base, session=http, headers=headers, timeout=30)
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        if mode is not GenerationMode.NEGATIVE:
            raise
        tally.no_negative.append(label)
    except hypothesis.errors.Flaky as flaky:
        # Seen once under a loaded CI machine ("failed on the first call but not on a
        # subsequent one"): run the operation again; only a failure that repeats counts.
        detail = "; ".join(repr(e)[:500] for e in getattr(flaky, "exceptions", [flaky]))
        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:
            # Print what failed each time (a Flaky names only "1 sub-exception").
            inner = "; ".join(repr(e)[:500] for e in getattr(exc, "exceptions", [exc]))
            tally.failures.append(
                f"{label}: {str(exc)[:1000]}\n  first run: {detail}\n  again: {inner}"
            )
        else:
            tally.not_reproduced.append(f"{label}: {detail}")
    except (Exception, BaseExceptionGroup) as exc:  # one failure must not hide the others
        tally.failures.append(f"{label}: {str(exc)[:1500]}")


# Hypothesis compares the process-wide `random` state around each generated case; any other
# thread of the test process (the server's, or a worker left by an earlier test whose client
# retries with jitter, as the openai client does) can move it, and with warnings as errors
# that note failed a CI run (POST /chat [negative]). It says nothing about the API under test.
@pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies:"
    "hypothesis.errors.HypothesisDeprecationWarning"
)
def test_schemathesis_finds_no_server_errors_and_no_spec_violations(live_demo: str) -> None:
    spec = requests.get(f"{live_demo}/openapi.json", timeout=10).json()
    # POST /chat runs real turns against the fake Rasa: namespaced identities, scoped
    # message ids and text that cannot be stored are all part of the run.
    schema = schemathesis.openapi.from_dict(spec)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15, "the spec lost its operations"

    tally = Tally()
    started = time.monotonic()
    with requests.Session() as http:
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _run_operation(operation, mode, live_demo, http, tally)
    elapsed = time.monotonic() - started

    print(
        f"\nschemathesis: {tally.total} cases over {len(operations)} operations in "
        f"{elapsed:.0f} s, {len(tally.failures)} failing operation(s); no invalid input "
        f"possible for {tally.no_negative}; not reproduced on replay: {tally.not_reproduced}"
    )
    assert tally.failures == [], "\n\n".join(tally.failures)
    assert elapsed < BUDGET_S
    ran = {label: n for label, n in tally.cases.items() if label not in tally.no_negative}
    assert all(n > 0 for n in ran.values()), tally.cases
