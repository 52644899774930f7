"""mitmproxy.script: the @concurrent decorator."""
from mitmproxy.script.concurrent import concurrent

__all__ = ["concurrent"]
