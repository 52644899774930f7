#!/bin/sh
# Makes a tool's bash completion file: its flags (from --help and, for the
# proxies, every registry option as --name-with-dashes and --no-name), the
# registry's options with their types and choices for --set (from
# --options), then the shared function (completion/mitmproxy-c.bash).
# Usage: completion/gen.sh build/mitmdump > build/completion/mitmdump
set -eu
tool=$1
here=$(dirname "$0")
name=$(basename "$tool" | tr -c 'A-Za-z0-9_\n' '_')
table=$(mktemp)
trap 'rm -f "$table"' EXIT

# The proxies have an option registry; pathod and pathoc do not.
if "$tool" --help 2>/dev/null | grep -q -- '--set'; then
    "$tool" --options --set confdir=/nonexistent/mitmproxy-c-completion |
        awk -f "$here/../scripts/options-table.awk" >"$table"
fi

echo "# bash completion for $(basename "$tool"), made by completion/gen.sh from its --help and --options."
printf '_mpc_flags_%s="' "$name"
{
    printf '%s\n' -h --help
    # Flags are in the lines that start with one (after the indent).
    "$tool" --help | grep -E '^ +-' | grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z0-9-]*' | tr -d ' ,'
    awk -F '\t' '{ f = $1; gsub(/_/, "-", f); print "--" f; if ($2 == "bool") print "--no-" f }' "$table"
} | sort -u | tr '\n' ' ' | sed 's/ $//'
echo '"'
printf '_mpc_options_%s="' "$name"
awk -F '\t' '{
    kind = ($2 == "choice" || $2 == "bool") ? $2 : "value"
    printf "%s%s %s%s", (NR > 1 ? "\n" : ""), $1, kind, ($4 != "" ? " " $4 : "")
}' "$table"
echo '"'
cat "$here/mitmproxy-c.bash"
echo "complete -F _mitmproxy_c $(basename "$tool")"
