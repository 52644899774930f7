"""A user's addon, as 8.1.1's docs show one, with an option of its own."""
from typing import Optional

from mitmproxy import ctx, exceptions


class AddHeader:
    def __init__(self):
        self.num = 0

    def load(self, loader):
        loader.add_option("addheader_limit", Optional[int], None, "Stop counting here.")

    def configure(self, updated):
        if "addheader_limit" in updated:
            limit = ctx.options.addheader_limit
            if limit is not None and limit < 0:
                raise exceptions.OptionsError("addheader_limit must be >= 0")

    def response(self, flow):
        limit = ctx.options.addheader_limit
        if limit is None or self.num < limit:
            self.num += 1
        flow.response.headers["count"] = str(self.num)
        ctx.log.info(f"count {self.num}")


addons = [AddHeader()]
