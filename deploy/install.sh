#!/usr/bin/env bash
# Install the kiosk as an appliance on Debian, Ubuntu or NVIDIA JetPack (Ubuntu-based).
#
#   sudo deploy/install.sh            from a clone of this repository
#
# Creates the `kiosk` user (groups video, audio, render, input), a virtual environment in
# /opt/kiosk/venv with the package, the Debian packages it needs, the models in
# /var/lib/kiosk/models (each file checked against its sha256), /etc/kiosk with a default
# config and an empty API-key credential, and installs and enables the systemd units.
# Running it again changes nothing unless something differs; it says what it changed.
#
# Settings (environment):
#   KIOSK_DISPLAY=eglfs|cage   Qt on the console (default) or the cage Wayland compositor
#   KIOSK_PLATFORM=auto|jetson|generic
#   KIOSK_WHEEL=FILE           install this built wheel instead of the source tree
#   KIOSK_PIP_ARGS="..."       extra pip arguments (offline: --no-index --find-links DIR)
#   KIOSK_MODELS_FROM=DIR      seed the model cache from a folder (offline installs)
#   KIOSK_ORT_WHEEL=FILE       Jetson: NVIDIA's onnxruntime-gpu wheel, replaces onnxruntime
#   KIOSK_SKIP_APT=1           do not install Debian packages
#   KIOSK_ROOT=DIR             install into another root (used by the tests; users and
#                              groups are not managed there, units are enabled offline)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
ROOT=${KIOSK_ROOT:-}
ROOT=${ROOT%/}
PREFIX=/opt/kiosk
ETC=/etc/kiosk
STATE=/var/lib/kiosk
UNIT_DIR=/etc/systemd/system
DISPLAY_KIND=${KIOSK_DISPLAY:-eglfs}
PLATFORM=${KIOSK_PLATFORM:-auto}
USER_NAME=kiosk
CHANGED=0

say() { printf 'install: %s\n' "$*" >&2; }
changed() { CHANGED=1; say "$*"; }
die() { say "error: $*"; exit 1; }

case "$DISPLAY_KIND" in eglfs | cage) ;; *) die "KIOSK_DISPLAY=$DISPLAY_KIND: use eglfs or cage" ;; esac
if [[ -z "$ROOT" && $(id -u) -ne 0 ]]; then
    die "run as root (sudo $0)"
fi
if [[ -n "$ROOT" ]]; then
    OWNER=$(id -un) GROUP=$(id -gn)
else
    OWNER=$USER_NAME GROUP=$USER_NAME
fi

detect_platform() {
    [[ "$PLATFORM" != auto ]] && { echo "$PLATFORM"; return; }
    if [[ -f /etc/nv_tegra_release ]] || grep -qsi jetson /proc/device-tree/model; then
        echo jetson
    else
        echo generic
    fi
}
PLATFORM=$(detect_platform)

# --- files: write only what differs --------------------------------------------------------
# put_file MODE OWNER:GROUP DEST  (content on stdin)
put_file() {
    local mode=$1 owner=$2 dest=$ROOT$3 tmp
    tmp=$(mktemp)
    cat >"$tmp"
    if [[ -f "$dest" ]] && cmp -s "$tmp" "$dest"; then
        rm -f "$tmp"
    else
        install -D -m "$mode" "$tmp" "$dest"
        rm -f "$tmp"
        changed "wrote $3"
    fi
    ensure_owner "$owner" "$mode" "$3"
}

ensure_dir() {  # ensure_dir MODE OWNER:GROUP PATH
    local mode=$1 owner=$2 path=$ROOT$3
    if [[ ! -d "$path" ]]; then
        install -d -m "$mode" "$path"
        changed "created $3"
    fi
    ensure_owner "$owner" "$mode" "$3"
}

ensure_owner() {  # ensure_owner OWNER:GROUP MODE PATH
    local owner=$1 mode=$2 path=$ROOT$3 now
    [[ -n "$ROOT" ]] && owner=$OWNER:$GROUP
    now=$(stat -c '%U:%G %a' "$path")
    if [[ "$now" != "$owner ${mode#0}" ]]; then
        chown "$owner" "$path"
        chmod "$mode" "$path"
        changed "set $3 to $owner mode $mode"
    fi
}

# --- Debian packages -------------------------------------------------------------------------
debian_packages() {
    [[ "${KIOSK_SKIP_APT:-0}" == 1 ]] && return 0
    command -v dpkg-query >/dev/null || die "not a Debian-based system: install the packages in deploy/debian-packages.txt yourself"
    local wanted=() missing=() pkg
    while read -r pkg; do
        [[ "$pkg" == "[dev]" ]] && break
        [[ -z "$pkg" || "$pkg" == \#* ]] && continue
        wanted+=("$pkg")
    done <"$SRC/deploy/debian-packages.txt"
    wanted+=(npm util-linux)
    [[ "$DISPLAY_KIND" == cage ]] && wanted+=(cage)
    for pkg in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    changed "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# --- the kiosk user --------------------------------------------------------------------------
kiosk_user() {
    if [[ -n "$ROOT" ]]; then
        say "installing into $ROOT: users and groups are not managed there"
        return 0
    fi
    local group
    for group in video audio render input; do
        getent group "$group" >/dev/null || { groupadd --system "$group"; changed "created group $group"; }
    done
    if ! getent passwd "$USER_NAME" >/dev/null; then
        useradd --system --user-group --home-dir "$STATE" --no-create-home \
            --shell /usr/sbin/nologin --comment "Retail kiosk" "$USER_NAME"
        changed "created user $USER_NAME"
    fi
    for group in video audio render input; do
        if ! id -nG "$USER_NAME" | tr ' ' '\n' | grep -qx "$group"; then
            usermod -aG "$group" "$USER_NAME"
            changed "added $USER_NAME to group $group"
        fi
    done
}

# --- directories, config, credential ---------------------------------------------------------
layout() {
    ensure_dir 0755 root:root "$PREFIX"
    ensure_dir 0755 root:root "$PREFIX/lib"
    ensure_dir 0750 "root:$USER_NAME" "$ETC"
    ensure_dir 0700 root:root "$ETC/credentials"
    ensure_dir 0750 "$USER_NAME:$USER_NAME" "$STATE"
    ensure_dir 0755 "$USER_NAME:$USER_NAME" "$STATE/models"
    if [[ ! -f "$ROOT$ETC/kiosk.toml" ]]; then
        put_file 0640 "root:$USER_NAME" "$ETC/kiosk.toml" <<'EOF'
# The kiosk's config: see README.md ("Config"). Change it with `kiosk config apply FILE`
# on the device, or `kiosk-fleet push FILE --inventory INV` for many kiosks.
revision = "installed"
EOF
    fi
    if [[ ! -f "$ROOT$ETC/credentials/gemini_api_key" ]]; then
        # Empty: no cloud escalation until an operator puts the key here (mode 0600, root).
        put_file 0600 root:root "$ETC/credentials/gemini_api_key" </dev/null
    fi
    put_file 0644 root:root "$ETC/display.env" < <(display_env)
}

display_env() {
    local integration=eglfs_kms
    [[ "$PLATFORM" == jetson ]] && integration=eglfs_kms_egldevice
    if [[ "$DISPLAY_KIND" == cage ]]; then
        printf '# written by deploy/install.sh (KIOSK_DISPLAY=cage)\nQT_QPA_PLATFORM=wayland\n'
    else
        printf '# written by deploy/install.sh (KIOSK_DISPLAY=eglfs, %s)\n' "$PLATFORM"
        printf 'QT_QPA_PLATFORM=eglfs\nQT_QPA_EGLFS_INTEGRATION=%s\n' "$integration"
        printf 'QT_QPA_EGLFS_ALWAYS_SET_MODE=1\nQT_QPA_EGLFS_HIDECURSOR=1\n'
    fi
}

# --- the virtual environment and the package -------------------------------------------------
source_stamp() {
    if [[ -n "${KIOSK_WHEEL:-}" ]]; then
        sha256sum "$KIOSK_WHEEL" | cut -c1-64
    else
        (cd "$SRC" && find pyproject.toml kiosk edge ui models -type f \
            -not -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64)
    fi
    printf '%s\n' "${KIOSK_PIP_ARGS:-}" "${KIOSK_ORT_WHEEL:-}" "$PLATFORM"
}

python_env() {
    local venv=$ROOT$PREFIX/venv stamp_file want
    if [[ ! -x "$venv/bin/python" ]]; then
        local args=()
        # Jetson: see JetPack's own Python packages (OpenCV with GStreamer, TensorRT).
        [[ "$PLATFORM" == jetson ]] && args+=(--system-site-packages)
        python3 -m venv "${args[@]}" "$venv"
        changed "created the virtual environment $PREFIX/venv"
    fi
    stamp_file=$venv/.kiosk-install-stamp
    want=$(source_stamp | sha256sum | cut -c1-64)
    if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$want" ]]; then
        return 0
    fi
    local pip=("$venv/bin/python" -m pip -q --disable-pip-version-check)
    # shellcheck disable=SC2086  # KIOSK_PIP_ARGS is a list of words on purpose
    "${pip[@]}" install --upgrade ${KIOSK_PIP_ARGS:-} "${KIOSK_WHEEL:-$SRC}"
    if [[ "$PLATFORM" == jetson && -n "${KIOSK_ORT_WHEEL:-}" ]]; then
        "${pip[@]}" uninstall -y onnxruntime
        "${pip[@]}" install --no-deps "$KIOSK_ORT_WHEEL"
        changed "installed NVIDIA's onnxruntime-gpu from $KIOSK_ORT_WHEEL"
    fi
    if [[ "$PLATFORM" == jetson ]] && /usr/bin/python3 -c 'import cv2, sys; sys.exit("GStreamer:                   YES" not in cv2.getBuildInformation())' 2>/dev/null; then
        "${pip[@]}" uninstall -y opencv-python-headless
        changed "using JetPack's OpenCV (with GStreamer) instead of opencv-python-headless"
    fi
    echo "$want" >"$stamp_file"
    changed "installed the kiosk package into $PREFIX/venv"
}

# --- helper scripts, models ------------------------------------------------------------------
helpers() {
    local script
    for script in "$SRC"/deploy/lib/*.sh; do
        put_file 0755 root:root "$PREFIX/lib/$(basename "$script")" <"$script"
    done
    put_file 0644 root:root "$PREFIX/README.md" <"$SRC/README.md"
    # Mender's update module, when this device runs the Mender client.
    if [[ -d "$ROOT/usr/share/mender/modules/v3" ]]; then
        put_file 0755 root:root /usr/share/mender/modules/v3/kiosk-config <"$SRC/deploy/mender/kiosk-config"
    fi
}

models() {
    local python=$ROOT$PREFIX/venv/bin/python cache=$ROOT$STATE/models
    if models_tool "$python" verify "$cache" 2>/dev/null; then
        return 0
    fi
    if [[ -n "${KIOSK_MODELS_FROM:-}" ]]; then
        cp -R --preserve=mode,timestamps "$KIOSK_MODELS_FROM"/. "$cache"/
    fi
    models_tool "$python" fetch "$cache" || die "models: fetch or verification failed (see above)"
    models_tool "$python" voices "$cache" || say "models: the voice graphs were not cut now: the first start cuts them"
    [[ -z "$ROOT" ]] && chown -R "$USER_NAME:$USER_NAME" "$cache"
    changed "fetched and verified the models in $STATE/models"
}

# The package's model cache API (what `kiosk models fetch|verify` runs), without the CLI.
models_tool() {  # models_tool PYTHON fetch|verify|voices CACHE
    "$1" - "$2" "$3" <<'PY'
import sys
from pathlib import Path

from kiosk.models import ModelCache

action, cache = sys.argv[1], ModelCache(Path(sys.argv[2]))
if action == "voices":  # cut now, so that the first start reads the cut graphs
    for line in cache.prepare_voices():
        print(f"models: {line}", file=sys.stderr)
    sys.exit(0)
if action == "fetch":
    cache.fetch(log=lambda line: print(f"models: {line}", file=sys.stderr))
problems = cache.verify()
for line in problems:
    print(f"models: {cache.root}: {line}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY
}

# --- systemd units ---------------------------------------------------------------------------
systemd_version() {
    systemctl --version 2>/dev/null | awk 'NR==1 {print $2}' | grep -Eo '^[0-9]+' || echo 0
}

units() {
    local unit dropin before=$CHANGED units_changed
    CHANGED=0
    for unit in "$SRC"/systemd/*.service; do
        put_file 0644 root:root "$UNIT_DIR/$(basename "$unit")" <"$unit"
    done
    local wanted=()
    [[ "$DISPLAY_KIND" == cage ]] && wanted+=(cage)
    [[ "$PLATFORM" == jetson ]] && wanted+=(jetson)
    [[ $(systemd_version) -lt 247 ]] && wanted+=(credential-fallback)
    for dropin in "$SRC"/systemd/dropins/*.conf; do
        local name dest
        name=$(basename "$dropin" .conf)
        dest=$UNIT_DIR/kiosk.service.d/$name.conf
        if [[ " ${wanted[*]} " == *" $name "* ]]; then
            ensure_dir 0755 root:root "$UNIT_DIR/kiosk.service.d"
            put_file 0644 root:root "$dest" <"$dropin"
        elif [[ -f "$ROOT$dest" ]]; then
            rm -f "$ROOT$dest"
            changed "removed $dest (no longer applies)"
        fi
    done
    units_changed=$CHANGED
    [[ $before -eq 1 ]] && CHANGED=1
    if [[ -z "$ROOT" && -d /run/systemd/system ]]; then
        [[ $units_changed -ne 0 ]] && systemctl daemon-reload
        for unit in kiosk.service kiosk-display.service; do
            if [[ $(systemctl is-enabled "$unit" 2>/dev/null) != enabled ]]; then
                systemctl enable --quiet "$unit"
                changed "enabled $unit"
            fi
        done
    else
        for unit in kiosk.service kiosk-display.service; do
            if [[ $(systemctl --root="${ROOT:-/}" is-enabled "$unit" 2>/dev/null) != enabled ]]; then
                systemctl --root="${ROOT:-/}" enable --quiet "$unit"
                changed "enabled $unit (offline)"
            fi
        done
    fi
    if [[ -z "$ROOT" ]] && systemctl is-enabled display-manager.service >/dev/null 2>&1; then
        say "warning: a display manager is enabled; the kiosk needs the console:" \
            "systemctl disable display-manager.service"
    fi
}

say "installing the kiosk ($PLATFORM, display $DISPLAY_KIND) from $SRC${ROOT:+ into $ROOT}"
debian_packages
kiosk_user
layout
python_env
helpers
models
units
if [[ $CHANGED -eq 0 ]]; then
    say "nothing to change: the kiosk is installed"
else
    say "done: start it with 'systemctl start kiosk' (or reboot); logs: journalctl -u kiosk"
fi
