"""mitmproxy.log: LogEntry, what add_log receives."""


class LogEntry:
    def __init__(self, msg, level):
        self.msg = msg
        self.level = level

    def __eq__(self, other):
        return isinstance(other, LogEntry) and self.__dict__ == other.__dict__

    def __repr__(self):
        return f"LogEntry({self.msg}, {self.level})"


__all__ = ["LogEntry"]
