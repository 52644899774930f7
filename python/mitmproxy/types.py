"""mitmproxy.types: the command argument types beyond str, int, bool and
flows (names as --commands shows them)."""


class Choice:
    def __init__(self, options_command):
        self.options_command = options_command

    def __instancecheck__(self, instance):  # pragma: no cover - mitmproxy's
        return isinstance(instance, str)


class Path(str):
    pass


class Cmd(str):
    pass


class CmdArgs(str):
    pass


class Unknown(str):
    pass


class Space(str):
    pass


class CutSpec(list):
    pass


class Data(list):
    pass


class Marker(str):
    pass


__all__ = ["Choice", "Path", "Cmd", "CmdArgs", "Unknown", "Space", "CutSpec", "Data", "Marker"]
