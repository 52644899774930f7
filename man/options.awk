# The option list of a man page, in mdoc: one .It per option of the table
# scripts/options-table.awk makes from the tool's own registry (`--options`).
# Usage: build/mitmdump --options | awk -f scripts/options-table.awk | awk -f man/options.awk

# s with every from replaced by to, literally (gsub's replacement syntax
# differs between awks).
function replace(s, from, to,    out, i) {
    out = ""
    while ((i = index(s, from)) > 0) {
        out = out substr(s, 1, i - 1) to
        s = substr(s, i + length(from))
    }
    return out s
}

# Text for an mdoc text line: backslashes escaped; a line must not start
# with a control character or a space.
function text(s) {
    gsub(/\\/, "\\e", s)
    # "strftime()" would read as a function name wanting markup.
    s = replace(s, "()", "\\&()")
    if (s ~ /^[.' ]/)
        s = "\\&" s
    return s
}

# Words of s as text lines of at most 80 bytes (a longer word stands alone).
function wrap(s,    out, line, n, i, w) {
    out = ""
    line = ""
    n = split(s, w, / +/)
    for (i = 1; i <= n; i++) {
        if (w[i] == "")
            continue
        if (line != "" && length(line) + 1 + length(w[i]) > 78) {
            out = out text(line) "\n"
            line = w[i]
        } else {
            line = line (line == "" ? "" : " ") w[i]
        }
    }
    return out text(line)
}

# One sentence per line, as mdoc wants ("new sentence, new line").
function sentences(s,    out) {
    out = ""
    while (match(s, /[.?!] +[A-Z]/)) {
        out = out wrap(substr(s, 1, RSTART)) "\n"
        s = substr(s, RSTART + RLENGTH - 1)
    }
    return out wrap(s)
}

BEGIN {
    FS = "\t"
    print ".Bl -tag -width Ds"
}
{
    name = $1; type = $2; dflt = $3; help = $5
    if (type == "choice")
        print ".It Cm " name " Ns = Ns Ar choice"
    else if (type == "bool")
        print ".It Cm " name " Ns = Ns Cm true | false"
    else
        print ".It Cm " name " Ns = Ns Ar " (type == "int" ? "integer" : type ~ /sequence/ ? "value ..." : "string")
    if (help != "")
        print sentences(help)
    if (type == "choice")
        print wrap("One of: " $4 ".")
    if (type ~ /sequence/)
        print "Repeat the setting for several values."
    if (type == "bool") {
        flag = name
        gsub(/_/, "-", flag)
        print "As flags:"
        print ".Fl -" flag " , Fl -no-" flag " ."
    }
    if (dflt == "")
        print (type == "optional str" ? "Default: none (unset)." : "Default: empty.")
    else
        print wrap("Default: " dflt ".")
}
END { print ".El" }
