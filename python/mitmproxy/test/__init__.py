"""mitmproxy.test: helpers for addon unit tests (tflow, taddons)."""
