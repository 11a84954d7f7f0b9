# Helpers the scripts share; sourced, not run.

say() { printf '\n== %s\n' "$*"; }

# Installs the Debian packages named that are not installed yet.
apt_install() {
    local missing=()
    for package in "$@"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    ((${#missing[@]})) || return 0
    say "Installing Debian packages: ${missing[*]}"
    local sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}


# The Debian archive this machine's apt uses (its first `deb` source that
# is not the security archive), so that a base image comes from the same
# mirror as the machine's own packages. Both formats: deb822 `.sources`
# files and one-line `sources.list` entries.
debian_mirror() {
    local file uri
    for file in /etc/apt/sources.list.d/*.sources; do
        [[ -f "$file" ]] || continue
        uri=$(awk '
            /^[[:space:]]*$/ { if (types ~ /deb( |$)/ && suites !~ /security/ && uri != "") { print uri; exit } types = suites = uri = ""; next }
            /^Types:/  { types = $0 }
            /^Suites:/ { suites = $0 }
            /^URIs:/   { uri = $2 }
            END { if (types ~ /deb( |$)/ && suites !~ /security/ && uri != "") print uri }
        ' "$file" | head -n 1)
        if [[ -n "$uri" && "$uri" == *debian* ]]; then
            printf '%s\n' "$uri"
            return 0
        fi
    done
    uri=$(grep -hsE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
        | grep -v security | awk '{ for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { print $i; exit } }' \
        | grep debian | head -n 1)
    if [[ -z "$uri" ]]; then
        echo "No Debian archive in this machine's apt sources (/etc/apt/sources.list, /etc/apt/sources.list.d)." >&2
        return 1
    fi
    printf '%s\n' "$uri"
}
