"""mitmproxy.proxy: the hook data classes scripts import from it."""
