# Shared by ./demo and tests/run (sourced, not run): root or sudo for apt, and a .venv that has pip.
#
# Debian 12 and Ubuntu ship python3 without ensurepip (it is in python3-venv), so
# `python3 -m venv` can fail half-way and leave a .venv whose python runs but has no pip:
# a .venv is only used when its pip works, and is made again otherwise.
# The caller defines say() and runs from the repository's root.

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        say "need root (or sudo) to run: $*" >&2
        return 1
    fi
}

# apt's output only matters when it fails.
apt_log=$(mktemp)
trap 'rm -f "$apt_log"' EXIT
apt_install() {
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o Dpkg::Use-Pty=0)
    if as_root "${apt[@]}" install --no-install-recommends "$@" >"$apt_log" 2>&1; then
        return 0
    fi
    # A fresh machine has no package lists yet, or stale ones.
    say "apt-get install failed; running apt-get update and retrying"
    if as_root "${apt[@]}" update >>"$apt_log" 2>&1 &&
        as_root "${apt[@]}" install --no-install-recommends "$@" >>"$apt_log" 2>&1; then
        return 0
    fi
    cat "$apt_log" >&2
    say "could not install $*" >&2
    return 1
}

ensure_venv() {
    if .venv/bin/python -m pip --version >/dev/null 2>&1; then
        return 0
    fi
    if [ -e .venv ]; then
        say "the existing .venv has no working pip (a python3 -m venv that failed?): making it again"
    fi
    say "creating .venv ..."
    rm -rf .venv
    if ! python3 -m venv .venv >/dev/null 2>&1; then
        rm -rf .venv
        if ! command -v apt-get >/dev/null 2>&1; then
            say "python3 -m venv failed and there is no apt-get here: install your system's venv module for python3" >&2
            return 1
        fi
        # Debian's and Ubuntu's python3 keep ensurepip in a separate package.
        say "python3 -m venv needs ensurepip, which Debian and Ubuntu package as python3-venv:"
        say "installing python3-venv with apt-get (as root or with sudo) ..."
        apt_install python3-venv
        python3 -m venv .venv
    fi
}
