"""One router per concern: health/metrics, Twilio webhooks, local chat (+ downloads, admin)."""
