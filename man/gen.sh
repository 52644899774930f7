#!/bin/sh
# Makes a man page from its template: a line "@include NAME" becomes the
# file man/NAME, and a line "@options" the option list made from the tool's
# own registry (TOOL --options), so the page cannot drift from the code.
# Usage: man/gen.sh man/mitmdump.1.in build/mitmdump > build/man/mitmdump.1
set -eu
tpl=$1
tool=$2
here=$(dirname "$0")
root=$here/..

if grep -q '^@options$' "$tpl"; then
    opts=$(mktemp)
    trap 'rm -f "$opts" "$opts.raw"' EXIT
    # A conf dir that does not exist: the user's config.yaml changes nothing here.
    "$tool" --options --set confdir=/nonexistent/mitmproxy-c-man >"$opts.raw"
    awk -f "$root/scripts/options-table.awk" "$opts.raw" | awk -f "$here/options.awk" >"$opts"
    rm -f "$opts.raw"
else
    opts=/dev/null
fi

while IFS= read -r line; do
    case $line in
    "@include "*) cat "$here/${line#@include }" ;;
    @options) cat "$opts" ;;
    *) printf '%s\n' "$line" ;;
    esac
done <"$tpl"
