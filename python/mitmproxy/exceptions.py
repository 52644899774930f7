"""mitmproxy's exception classes (mitmproxy.exceptions)."""


class MitmproxyException(Exception):
    """The base of mitmproxy's own exceptions."""


class FlowReadException(MitmproxyException):
    pass


class ControlException(MitmproxyException):
    pass


class CommandError(MitmproxyException):
    pass


class OptionsError(MitmproxyException):
    pass


class AddonManagerError(MitmproxyException):
    pass


class AddonHalt(MitmproxyException):
    """Raised by an addon to stop the hook's remaining addons."""


class TypeError(MitmproxyException):  # noqa: A001 - mitmproxy's name
    pass
