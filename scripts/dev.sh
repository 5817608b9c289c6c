#!/usr/bin/env bash
# The developer's two commands:
#   scripts/dev.sh run  [kiosk run options]   install what is missing, then run the kiosk
#   scripts/dev.sh test [pytest options]      install what is missing, then run the tests
#   scripts/dev.sh freeze                     pin constraints.txt to what .venv holds
# Installs Debian packages (with sudo when not root), a virtual environment in .venv,
# the package with its extras, and the models (`kiosk models fetch`, sha256-checked).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${KIOSK_VENV:-$ROOT/.venv}

say() { printf 'dev.sh: %s\n' "$*" >&2; }

debian_packages() {
    local wanted=() missing=() pkg
    while read -r pkg; do
        [[ -z "$pkg" || "$pkg" == \#* || "$pkg" == "[dev]" ]] && continue
        wanted+=("$pkg")
    done < deploy/debian-packages.txt
    command -v npm >/dev/null 2>&1 || wanted+=(npm)
    command -v dpkg-query >/dev/null 2>&1 || { say "not a Debian system: install ${wanted[*]} yourself"; return 0; }
    for pkg in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || { say "missing Debian packages (no sudo): ${missing[*]}"; exit 1; }
        sudo=(sudo)
    fi
    say "installing Debian packages: ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

python_env() {
    # constraints.txt pins what CI passed with (on its Python and machine); KIOSK_CONSTRAINTS=none
    # installs the newest that pyproject.toml allows.
    local extras=$1 stamp constraints=(-c constraints.txt)
    [[ "${KIOSK_CONSTRAINTS:-}" == none ]] && constraints=()
    [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
    stamp="$VENV/.kiosk-installed-$extras-$(cat pyproject.toml constraints.txt | sha256sum | cut -c1-16)"
    [[ ${#constraints[@]} -eq 0 ]] && stamp="$stamp-unpinned"
    if [[ ! -f "$stamp" ]]; then
        say "installing the kiosk into $VENV ($extras)"
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[$extras]" "${constraints[@]}"
        touch "$stamp"
    fi
}

freeze() {
    # constraints.txt from what .venv holds now (after a passing `scripts/dev.sh test`)
    local marker=' ; python_version == "3.11" and platform_machine == "x86_64"'
    {
        sed -n '/^#/p' constraints.txt
        "$VENV/bin/python" -m pip freeze --exclude-editable --disable-pip-version-check | sed "s/\$/$marker/"
    } > constraints.txt.new
    mv constraints.txt.new constraints.txt
    say "constraints.txt: $(grep -vc '^#' constraints.txt) packages"
}

models() {
    "$VENV/bin/kiosk" models fetch
}

pipecat_env() {
    # pipecat (a second Gemini Live client for the simulator's cross-check test) pins
    # google-genai<3, so it gets its own venv; the spec is the `pipecat` extra in pyproject.toml.
    local peer="$VENV/pipecat" spec stamp
    spec=$(sed -n 's/^pipecat = \["\(.*\)"\]$/\1/p' pyproject.toml)
    stamp="$peer/.kiosk-installed-$(printf '%s' "$spec" | sha256sum | cut -c1-16)"
    [[ -f "$stamp" ]] && return 0
    say "installing $spec into $peer (test-only; it pins google-genai<3)"
    [[ -x "$peer/bin/python" ]] || python3 -m venv "$peer"
    "$peer/bin/python" -m pip install -q --disable-pip-version-check "$spec"
    touch "$stamp"
}

command=${1:-}
shift || true
case "$command" in
    run)
        debian_packages
        python_env test
        models
        exec "$VENV/bin/kiosk" run "$@"
        ;;
    test)
        debian_packages
        python_env test
        models
        pipecat_env
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    freeze)
        freeze
        ;;
    *)
        echo "usage: scripts/dev.sh run [kiosk run options] | scripts/dev.sh test [pytest options]" \
            "| scripts/dev.sh freeze" >&2
        exit 2
        ;;
esac
