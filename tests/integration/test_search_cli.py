"""`python -m actions.search` on a real database seeded with the demo shop, and concurrent
searches while the catalog changes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from actions.runtime import Runtime
from actions.search import CatalogSearch, SearchSettings
from actions.search.backends import ChargramBackend
from actions.settings import ActionsSettings
from db.models import Product, Shop
from db.seed import load_demo

ROOT = Path(__file__).resolve().parents[2]
INDEX_VARS = ("INDEX_DIR", "SEARCH_INDEX_DIR")


def _cli(
    db_url: str, index_dir: Path, *args: str, index_var: str = "SEARCH_INDEX_DIR"
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in INDEX_VARS}
    env |= {
        "DATABASE_URL": db_url,
        index_var: str(index_dir),
        "SEARCH_BACKEND": "chargram",
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "actions.search", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_cli_builds_refreshes_and_queries_the_demo_shop(
    db_url: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with session_factory() as session:
        load_demo(session)
        session.commit()
    built = _cli(db_url, tmp_path, "build", "demo")
    assert built.returncode == 0, built.stderr
    assert "172 products indexed with chargram" in built.stdout
    assert list(tmp_path.glob("*/meta.json"))
    refreshed = _cli(db_url, tmp_path, "refresh", "demo")
    assert "0 products re-embedded or dropped" in refreshed.stdout
    answer = _cli(db_url, tmp_path, "query", "demo", "hola, tienen licuadra?", "-k", "3")
    assert answer.returncode == 0, answer.stderr
    hits = [line for line in answer.stdout.splitlines() if "[index]" in line]
    assert len(hits) == 3 and "Licuadora Oster" in hits[0]
    unknown = _cli(db_url, tmp_path, "build", "no-such-shop")
    assert unknown.returncode == 2 and "unknown shop" in unknown.stdout


@pytest.mark.parametrize("index_var", INDEX_VARS)
def test_cli_and_action_server_use_the_same_index_dir(
    index_var: str,
    db_url: str,
    engine: Engine,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`INDEX_DIR` (.env.example, docker-compose) and `SEARCH_INDEX_DIR` mean the same folder
    to `python -m actions.search build` and to the action server's catalog search."""
    with session_factory() as session:
        load_demo(session)
        session.commit()
        shop_id = session.scalar(select(Shop.id).where(Shop.slug == "demo"))
    folder = tmp_path / "index"
    built = _cli(db_url, folder, "build", "demo", index_var=index_var)
    assert built.returncode == 0, built.stderr
    assert (folder / str(shop_id) / "meta.json").exists()

    for name in INDEX_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(index_var, str(folder))
    monkeypatch.setenv("SEARCH_BACKEND", "chargram")
    runtime = Runtime(ActionsSettings(database_url=db_url), engine, session_factory)
    assert runtime.search.settings.index_dir == folder
    assert runtime.search.settings.backend == "chargram"


def test_index_dir_wins_over_search_index_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INDEX_DIR", str(tmp_path / "a"))
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path / "b"))
    assert SearchSettings().index_dir == ActionsSettings().search.index_dir == tmp_path / "a"


def test_concurrent_searches_while_the_catalog_changes(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with session_factory() as session:
        load_demo(session)
        session.commit()
        shop_id = session.scalar(select(Shop.id).where(Shop.slug == "demo"))
    assert shop_id is not None
    search = CatalogSearch(
        session_factory,
        SearchSettings(index_dir=tmp_path, refresh_interval_s=0),
        embedder=ChargramBackend(),
    )
    errors: list[BaseException] = []
    results: list[int] = []

    def shopper() -> None:
        try:
            for query in ("licuadora", "tenis running", "termo", "gafas de sol") * 5:
                results.append(len(search.search(shop_id, query, 3)))
        except BaseException as exc:  # collected and asserted in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=shopper) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(5):  # the owner renames a product meanwhile
        with session_factory() as session:
            session.execute(
                update(Product)
                .where(Product.sku == "COC-001")
                .values(name=f"Termo acero inoxidable 750 ml v{i}")
            )
            session.commit()
    for t in threads:
        t.join(120)
    assert not errors and len(results) == 80 and all(n >= 1 for n in results)
    hits = search.search(shop_id, "termo acero inoxidable v4", 1)
    with session_factory() as session:
        assert session.get(Product, hits[0].product_id).name.endswith("v4")  # type: ignore[union-attr]
