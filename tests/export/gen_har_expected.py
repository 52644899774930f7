#!/usr/bin/python3
"""Writes tests/export/expected/all.har: what current mitmproxy's savehar
addon (mitmproxy 10 and later; 8.1.1 has none) makes of the fixture file
all.mitm, for test_har.c to compare with byte for byte.

Debian has mitmproxy 8.1.1 only, so this runs the savehar.py of a checkout
of current mitmproxy (its path is the first argument; the expected file was
made from commit 8fc25b3) over flows loaded by 8.1.1, with the newer
strutils.is_mostly_bin it uses, and creator.version set to ours:

    /usr/bin/python3 tests/export/gen_har_expected.py \\
        MITMPROXY/mitmproxy/addons/savehar.py MITMPROXY/mitmproxy/utils/strutils.py \\
        ../shared/fixtures/flows/all.mitm > tests/export/expected/all.har

Bodies here are UTF-8 or binary, where 8.1.1's get_text() and the newer
one agree.
"""
import importlib.util
import json
import sys
import types

import mitmproxy.log
import mitmproxy.utils.strutils
from mitmproxy import io, version


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main(savehar, strutils, flows_path):
    mitmproxy.log.ALERT = 25
    mitmproxy.utils.strutils.is_mostly_bin = load(strutils, "strutils_new").is_mostly_bin
    shim = types.ModuleType("mitmproxy.addonmanager")
    shim.Loader = object
    sys.modules["mitmproxy.addonmanager"] = shim
    version.VERSION = "0.1.0"  # util/version.h's MP_VERSION
    mod = load(savehar, "savehar_new")
    flows = list(io.FlowReader(open(flows_path, "rb")).stream())
    sys.stdout.write(json.dumps(mod.SaveHar().make_har(flows), indent=4))


if __name__ == "__main__":
    main(*sys.argv[1:4])
