# Turns a tool's `--options` (the option registry as mitmproxy 8.1.1 prints
# it: a "# help" block, then "name: default", sequences as "- item" lines)
# into one tab-separated line per option, for the man pages and the bash
# completion, so both are made from the registry and cannot drift from it:
#
#   name <TAB> type <TAB> default <TAB> choices <TAB> help
#
# type is bool, int, str, optional str, sequence of str or choice; choices
# are space-separated (empty unless type is choice; a choice containing a
# space is left out); default is what --options prints ("" for None, items
# joined by ", " for a sequence); help is one line, the type sentence removed.
# Usage: build/mitmdump --options | awk -f scripts/options-table.awk

function flush(    type, choices, m, rest, v, n, i, parts) {
    if (name == "")
        return
    type = ""
    choices = ""
    if (match(help, / ?Type [^.]*\.$/)) {
        type = substr(help, RSTART, RLENGTH)
        sub(/^ ?Type /, "", type)
        sub(/\.$/, "", type)
        help = substr(help, 1, RSTART - 1)
    } else if (match(help, / ?Valid values are .*\.$/)) {
        type = "choice"
        rest = substr(help, RSTART, RLENGTH)
        sub(/^ ?Valid values are /, "", rest)
        sub(/\.$/, "", rest)
        help = substr(help, 1, RSTART - 1)
        n = split(rest, parts, /, /)
        for (i = 1; i <= n; i++) {
            v = parts[i]
            gsub(/^'|'$/, "", v)
            if (v !~ / /)
                choices = choices (choices == "" ? "" : " ") v
        }
    }
    gsub(/\t/, " ", help)
    printf "%s\t%s\t%s\t%s\t%s\n", name, type, value, choices, help
    name = ""
    help = ""
    value = ""
}

# A help line ending in a hyphenated word was broken after the hyphen
# (textwrap): "url-" + "encoded" is one word again.
/^# / {
    line = substr($0, 3)
    if (help == "")
        help = line
    else if (help ~ /[A-Za-z]-$/)
        help = help line
    else
        help = help " " line
    next
}
/^#$/ { next }
/^[a-z0-9_]+:/ {
    name = $0
    sub(/:.*/, "", name)
    value = $0
    sub(/^[a-z0-9_]+: ?/, "", value)
    if (value == "[]" || value == "''")
        value = ""
    next
}
/^- / && name != "" {
    item = substr($0, 3)
    value = value (value == "" ? "" : ", ") item
    next
}
/^$/ { flush() }
END { flush() }
