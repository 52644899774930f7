"""8.1.1-style unit tests of a user's addon: taddons.context() and
tflow.tflow(), run by a plain `python3 -m pytest` with our package (and
mitmproxy._c built for the system Python) on PYTHONPATH. Not named
test_*.py: the e2e run leaves this file to the test that runs it so."""
import os

import pytest

import mitmproxy
from mitmproxy import exceptions
from mitmproxy.test import taddons, tflow

import addheader


def test_ours_not_debians():
    assert "dist-packages" not in mitmproxy.__file__


def test_tflow_values():
    f = tflow.tflow(resp=True)
    assert f.request.host == "address" and f.request.port == 22
    assert f.request.url == "http://address:22/path"
    assert f.request.content == b"content"
    assert f.response.status_code == 200 and f.response.content == b"message"
    assert tflow.tflow(err=True).error.msg == "error"


def test_counts_responses():
    a = addheader.AddHeader()
    with taddons.context(a) as tctx:
        f = tflow.tflow(resp=True)
        a.response(f)
        assert f.response.headers["count"] == "1"
        a.response(f)
        assert f.response.headers["count"] == "2"
        assert tctx.master.has_log("count 2")


def test_option_limit():
    a = addheader.AddHeader()
    with taddons.context(a) as tctx:
        tctx.configure(a, addheader_limit=1)
        assert tctx.options.addheader_limit == 1
        f = tflow.tflow(resp=True)
        a.response(f)
        a.response(f)
        assert f.response.headers["count"] == "1"
        with pytest.raises(exceptions.OptionsError):
            tctx.configure(a, addheader_limit=-1)


def test_script_and_cycle():
    with taddons.context() as tctx:
        sc = tctx.script(os.path.join(os.path.dirname(__file__), "addheader.py"))
        f = tflow.tflow(resp=True)
        import asyncio

        asyncio.run(tctx.cycle(sc.addons[0], f))
        assert f.response.headers["count"] == "1"
