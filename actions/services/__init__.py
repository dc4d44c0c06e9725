"""Service modules: the shop's real work, each taking a database session. Actions call these."""
