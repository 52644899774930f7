"""mitmproxy.addons: the addons of mitmproxy's that scripts use directly.
The proxy's own addons are C (src/addons/); this package holds only what
a script instantiates itself (asgiapp)."""
