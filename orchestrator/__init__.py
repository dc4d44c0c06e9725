"""Tendero's orchestrator: the FastAPI service between Twilio, Rasa and the LLM.

`orchestrator.app:create_app()` builds the application (`uvicorn --factory`); nothing
connects at import time: `services.build_services` creates the engine, the pooled HTTP
client, the Rasa client, phrasing, senders, the pipeline and the worker in the lifespan.

Layout:
    settings.py      one pydantic-settings object (env / `.env`)
    api/deps.py      Annotated dependencies; Twilio signature check
    routers/         twilio (webhook + status), chat (+ web page), health (+ metrics),
                     downloads; `admin/` is the admin API
    queue.py         the durable inbound queue in the database (claim, recover, finish)
    worker.py        dispatcher thread + bounded pool; per-conversation order
    pipeline.py      one turn: Rasa → phrasing + guard → delivery → turn log (turn.py)
    rasa_client.py   REST channel + tracker read-back (retries; detail fallback)
    tracker_events.py  a turn's intent/entities/actions from Rasa's SQL tracker store
    phrasing/        LLM providers (openrouter, gemini), prompt, guard
    delivery.py      outbound rows then sending, exactly once per inbound message
    senders.py       Twilio REST sender, outbox, message splitting
    logging.py       structlog setup; metrics.py: prometheus_client metrics, declared once
"""
