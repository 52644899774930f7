# The completion function every tool's file shares. Each file
# (completion/gen.sh) defines, before this, for its tool T:
#   _mpc_flags_T    the flags, space-separated
#   _mpc_options_T  one "name type [choices...]" line per registry option
# Words are taken from the command line split on blanks only: the default
# COMP_WORDBREAKS would cut "--set name=value" and "reverse:http://" apart.

_mitmproxy_c_options()
{
    local var="_mpc_options_$1"
    printf '%s\n' "${!var}"
}

# The values an option takes: booleans and choices; nothing for free text.
_mitmproxy_c_values()
{
    local tool=$1 name=$2 line
    while read -r line; do
        set -- $line
        [ "$1" = "$name" ] || continue
        case $2 in
        bool) echo "true false toggle" ;;
        choice) shift 2 && echo "$*" ;;
        esac
        return
    done < <(_mitmproxy_c_options "$tool")
}

_mitmproxy_c()
{
    local tool=${1##*/} line cur prev words=() cands=() i keep=0
    tool=${tool//[^A-Za-z0-9_]/_}
    line=${COMP_LINE:0:COMP_POINT}
    read -r -a words <<<"$line"
    if [[ $line == *[[:space:]] ]]; then
        cur=""
        prev=${words[${#words[@]} - 1]}
    else
        cur=${words[${#words[@]} - 1]}
        prev=${words[${#words[@]} - 2]}
    fi

    case $prev in
    --set)
        if [[ $cur == *=* ]]; then
            local name=${cur%%=*} v
            for v in $(_mitmproxy_c_values "$tool" "$name"); do
                cands+=("$name=$v")
            done
        else
            local n
            while read -r n _; do
                cands+=("$n=")
            done < <(_mitmproxy_c_options "$tool")
        fi
        ;;
    -m | --mode)
        cands=(regular transparent socks5 reverse:http:// reverse:https:// upstream:http://
            upstream:https:// upstream:socks5://)
        ;;
    -r | -w | -s | -C | -c | -S | --rfile | --save-stream-file | --scripts | --client-replay | \
        --server-replay | -f | -d | --confdir | --cert | --certs)
        mapfile -t cands < <(compgen -f -- "$cur")
        ;;
    --*)
        # An option flag taking a value: its choices, if it has any.
        local name=${prev#--}
        name=${name//-/_}
        local vals
        vals=$(_mitmproxy_c_values "$tool" "$name")
        if [ -n "$vals" ] && [ "$vals" != "true false toggle" ]; then
            cands=($vals)
        elif [[ $cur == -* ]]; then
            local flags="_mpc_flags_$tool"
            cands=(${!flags})
        fi
        ;;
    *)
        if [[ $cur == -* ]]; then
            local flags="_mpc_flags_$tool"
            cands=(${!flags})
        fi
        ;;
    esac

    # Bash replaces only what follows the last word-break character of the
    # word: hand it just that part of each candidate.
    for ((i = ${#cur} - 1; i >= 0; i--)); do
        if [[ $COMP_WORDBREAKS == *"${cur:i:1}"* ]]; then
            keep=$((i + 1))
            break
        fi
    done
    COMPREPLY=()
    local c nospace=0
    for c in "${cands[@]}"; do
        [[ $c == "$cur"* ]] || continue
        COMPREPLY+=("${c:keep}")
        [[ $c == *[=:/] ]] && nospace=1
    done
    [ $nospace -eq 1 ] && compopt -o nospace 2>/dev/null
    return 0
}
