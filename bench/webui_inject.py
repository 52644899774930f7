#!/usr/bin/python3
"""New flows at a bounded rate into a running mitmweb without the proxy, for
bench/webui.sh: the flows of FILE (written by genflows.py, so every flow has
its own id) are cut into files of CHUNK flows, and one is loaded every
CHUNK/RATE seconds with the view.flows.load command (POST /commands/...),
for SECONDS at most. What the UI does with 10,000 new flows a second can so
be measured on a machine whose proxy cannot make that many. Each flow's
timestamp_created is set to the moment its file is loaded.

usage: webui_inject.py BASE_URL TOKEN|- FILE RATE SECONDS [CHUNK]
  TOKEN is ours (sent as Bearer); "-" for mitmweb 8.1.1, which wants its
  tornado _xsrf cookie echoed in X-XSRFToken instead.
Prints wrk's line: BENCHJSON {"requests": flows sent, "duration_us": ...}.
"""
import http.cookiejar
import json
import os
import re
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from genflows import records  # noqa: E402

CREATED = re.compile(rb"17:timestamp_created;(\d+):([^^]*)\^")


def created_now(data):
    """Every flow's timestamp_created set to now, in as many characters as
    it had, so no tnetstring length changes: the page can tell how long a
    flow took from its load to the screen."""
    now = time.time()

    def sub(m):
        n = int(m.group(1))
        if n < 12:
            return m.group(0)
        return m.group(0)[:-n - 1] + b"%.*f^" % (n - 11, now)
    return CREATED.sub(sub, data)


def main(argv):
    base, token, path, rate, seconds = argv[1], argv[2], argv[3], float(argv[4]), float(argv[5])
    chunk = int(argv[6]) if len(argv) > 6 else 1000
    with open(path, "rb") as f:
        recs = records(f.read())
    tmp = tempfile.mkdtemp(prefix="webui-inject.")
    files = []
    for i in range(0, len(recs) - chunk + 1, chunk):
        name = os.path.join(tmp, f"{i // chunk}.mitm")
        with open(name, "wb") as f:
            f.write(b"".join(recs[i:i + chunk]))
        files.append(name)
    jar = http.cookiejar.CookieJar()
    headers = {"Content-Type": "application/json"}
    if token != "-":
        # Bearer alone: ours asks a client that sends its cookies for the
        # XSRF header too.
        opener = urllib.request.build_opener()
        headers["Authorization"] = f"Bearer {token}"
    else:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.open(base + "/", timeout=30).read()
        headers["X-XSRFToken"] = next(c.value for c in jar if c.name == "_xsrf")
    interval = chunk / rate
    sent = 0
    t0 = time.monotonic()
    try:
        for i, name in enumerate(files):
            due = t0 + i * interval
            if due - t0 >= seconds:
                break
            time.sleep(max(0.0, due - time.monotonic()))
            with open(name, "rb") as f:
                data = created_now(f.read())
            with open(name, "wb") as f:
                f.write(data)
            body = json.dumps({"arguments": [name]}).encode()
            req = urllib.request.Request(base + "/commands/view.flows.load", data=body,
                                         headers=headers, method="POST")
            opener.open(req, timeout=60).read()
            sent += chunk
    finally:
        took = time.monotonic() - t0
        print("BENCHJSON " + json.dumps({"requests": sent, "duration_us": int(took * 1e6),
                                         "files": len(files), "chunk": chunk}))
        # The server opened each file in its command (ours reads it on a
        # worker thread from the open descriptor), so they can go.
        for name in files:
            os.unlink(name)
        os.rmdir(tmp)


if __name__ == "__main__":
    main(sys.argv)
