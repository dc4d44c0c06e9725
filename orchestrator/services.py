"""Everything the app needs at run time, built once in the lifespan and closed at the end."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.migrate import upgrade
from db.session import make_engine, make_session_factory
from orchestrator.handoff import HandoffDesk
from orchestrator.handoff_turns import HandoffTurns
from orchestrator.logging import get_logger
from orchestrator.media import MediaService
from orchestrator.media.download import MediaDownloader
from orchestrator.media.providers import (
    Describer,
    GeminiDescriber,
    GeminiTranscriber,
    OpenAIDescriber,
    OpenAITranscriber,
    Transcriber,
)
from orchestrator.metrics import Metrics
from orchestrator.notifications import Notifier
from orchestrator.phrasing import PhrasingService, make_phraser
from orchestrator.pipeline import Pipeline
from orchestrator.rasa_client import RasaClient
from orchestrator.senders import ChatSender, OutboxSender, Sender, TwilioSender
from orchestrator.settings import Settings
from orchestrator.tracker_events import TrackerEvents
from orchestrator.worker import ConversationLocks, Worker

log = get_logger("orchestrator")


@dataclass
class Services:
    """The orchestrator's collaborators (one set per app)."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    http: httpx.Client
    rasa: RasaClient
    phrasing: PhrasingService
    senders: dict[str, Sender]
    metrics: Metrics
    pipeline: Pipeline
    media: MediaService
    worker: Worker
    locks: ConversationLocks
    notifier: Notifier
    handoff: HandoffDesk

    def action_server_ok(self) -> bool:
        """True when the action server answers its health endpoint."""
        url = self.settings.action_server_url.rstrip("/").removesuffix("/webhook")
        try:
            return self.http.get(f"{url}/health", timeout=3.0).status_code == 200
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        """Stop the worker and the notifier, then release clients and the engine."""
        self.worker.stop()
        self.notifier.stop()
        self.phrasing.close()
        self.media.close()
        self.http.close()
        self.engine.dispose()


def make_twilio_sender(settings: Settings) -> Sender:
    """Twilio's REST API with credentials, else the outbox (recorded, logged)."""
    if not settings.twilio_can_send:
        log.warning("twilio.outbox_mode", reason="no TWILIO_ACCOUNT_SID/AUTH_TOKEN/WHATSAPP_FROM")
        return OutboxSender()
    assert settings.twilio_account_sid and settings.twilio_auth_token
    callback = (
        f"{settings.public_base_url.rstrip('/')}/twilio/status"
        if settings.public_base_url
        else None
    )
    return TwilioSender(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        status_callback=callback,
        api_base=settings.twilio_api_base,
        retries=settings.twilio_send_retries,
        backoff_s=settings.twilio_retry_backoff_s,
    )


def make_media_service(settings: Settings, session_factory: sessionmaker[Session]) -> MediaService:
    """Downloads with the Twilio credentials; the providers of TRANSCRIPTION_/VISION_PROVIDER."""
    auth = (
        (settings.twilio_account_sid, settings.twilio_auth_token)
        if settings.twilio_account_sid and settings.twilio_auth_token
        else None
    )
    downloader = MediaDownloader(
        hosts=settings.media_hosts,
        max_bytes=settings.media_max_bytes,
        timeout_s=settings.media_download_timeout_s,
        auth=auth,
    )
    sdk_timeout = settings.llm_timeout_s + 1.0
    openai_key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    transcriber: Transcriber | None = None
    if settings.transcription_provider == "openai":
        transcriber = OpenAITranscriber(
            openai_key,
            settings.transcription_model or "whisper-1",
            settings.openai_base_url,
            sdk_timeout,
        )
    elif settings.transcription_provider == "gemini":
        assert settings.gemini_api_key
        transcriber = GeminiTranscriber(
            settings.gemini_api_key,
            settings.transcription_model or settings.gemini_model,
            settings.gemini_base_url,
            sdk_timeout,
        )
    describer: Describer | None = None
    if settings.vision_provider == "openai":
        describer = OpenAIDescriber(
            openai_key,
            settings.vision_model or "gpt-4o-mini",
            settings.openai_base_url,
            sdk_timeout,
        )
    elif settings.vision_provider == "gemini":
        assert settings.gemini_api_key
        describer = GeminiDescriber(
            settings.gemini_api_key,
            settings.vision_model or settings.gemini_model,
            settings.gemini_base_url,
            sdk_timeout,
        )
    return MediaService(
        session_factory,
        downloader=downloader,
        transcriber=transcriber,
        describer=describer,
        timeout_s=settings.llm_timeout_s,
    )


def build_services(settings: Settings) -> Services:
    """Build engine, HTTP client, Rasa client, phrasing, senders, pipeline and worker."""
    engine = make_engine(settings.db_url)
    if settings.run_migrations_on_start:
        upgrade(engine)
    session_factory = make_session_factory(engine)
    http = httpx.Client(
        limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
        timeout=httpx.Timeout(settings.rasa_timeout_s, connect=3.0),
    )
    rasa_token = settings.rasa_token.get_secret_value() if settings.rasa_token else ""
    events = TrackerEvents(session_factory) if settings.turn_detail_source == "auto" else None
    rasa = RasaClient(
        settings.rasa_url,
        http,
        settings.rasa_timeout_s,
        rasa_token,
        detail=events.turn_detail if events is not None else None,
    )
    phrasing = PhrasingService(make_phraser(settings), settings.llm_timeout_s)
    senders: dict[str, Sender] = {"twilio": make_twilio_sender(settings), "chat": ChatSender()}
    metrics = Metrics()
    media = make_media_service(settings, session_factory)
    desk = HandoffDesk(
        session_factory,
        senders,
        after_fallbacks=settings.handoff_after_fallbacks,
        idle_return_s=settings.handoff_idle_return_s,
    )
    holder: dict[str, Services] = {}
    pipeline = Pipeline(
        session_factory,
        rasa,
        phrasing,
        senders,
        metrics,
        max_attempts=settings.worker_max_attempts,
        default_from=(settings.twilio_whatsapp_from or "").removeprefix("whatsapp:"),
        action_server_ok=lambda: holder["s"].action_server_ok(),
        retry_window_s=settings.turn_retry_window_s,
        patience_s=settings.turn_patience_s,
        max_backoff_s=settings.turn_max_backoff_s,
        media=media,
        handoff=HandoffTurns(desk),
    )
    worker = Worker(
        session_factory,
        pipeline.process,
        concurrency=settings.worker_concurrency,
        poll_interval_s=settings.worker_poll_interval_s,
        stale_after_s=settings.worker_stale_after_s,
        heartbeat_s=settings.worker_heartbeat_s,
        metrics=metrics,
        periodic=desk.return_idle,
        periodic_s=settings.handoff_check_s,
    )
    services = Services(
        settings,
        engine,
        session_factory,
        http,
        rasa,
        phrasing,
        senders,
        metrics,
        pipeline,
        media,
        worker,
        ConversationLocks(),
        Notifier(session_factory, senders["twilio"], poll_s=settings.notifier_poll_s),
        desk,
    )
    holder["s"] = services
    return services
