"""API plumbing shared by the routers: dependencies and the Twilio signature check."""
