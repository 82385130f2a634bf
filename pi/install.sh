#!/usr/bin/env bash
# Install Hinge Coach on a Raspberry Pi 5 running Raspberry Pi OS Bookworm (64-bit), from
# this checkout: apt packages, a venv with --system-site-packages (so the apt picamera2 is
# importable), the package, the models, a config file, and the systemd service, enabled.
#
#   ./pi/install.sh            as the user who will use the coach (sudo is used for apt/systemd)
#   ./pi/install.sh --dry-run  print every step it would take, change nothing
#
# Safe to run again: each step checks what is already there. See README "On the Raspberry Pi".
#
# For tests, the machine checks read overridable places:
#   HINGECOACH_OS_RELEASE (default /etc/os-release), HINGECOACH_ARCH (uname -m),
#   HINGECOACH_DPKG_ARCH (dpkg --print-architecture), HINGECOACH_DT_MODEL
#   (/proc/device-tree/model), HINGECOACH_UNIT_DIR (/etc/systemd/system),
#   HINGECOACH_VENV (<checkout>/.venv), HINGECOACH_HOME (the user's home from passwd).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${HINGECOACH_VENV:-$REPO/.venv}"
UNIT_DIR="${HINGECOACH_UNIT_DIR:-/etc/systemd/system}"
UNIT_NAME="hingecoach.service"
TEMPLATE="$REPO/systemd/hingecoach.service.in"

APT_PACKAGES=(
    python3-venv          # the venv
    python3-picamera2     # the camera module (libcamera); only from the Raspberry Pi archive
    espeak-ng             # the voice (pyttsx3 drives libespeak-ng)
    libespeak-ng1
    libportaudio2         # sounddevice: microphone and speaker
    alsa-utils            # aplay/arecord: pyttsx3 plays through aplay; `arecord -l` to diagnose
    libgl1                # OpenCV (pulled in by mediapipe) needs libGL.so.1 and GLib
    libglib2.0-0
)
GROUPS_NEEDED=(video audio render)

DRY_RUN=0
FETCH_MODELS=1
SERVICE=1
PRINT_UNIT=0
SERVICE_USER=""

usage() {
    cat <<EOF
Usage: pi/install.sh [--dry-run] [--user NAME] [--no-models] [--no-service] [--print-unit]

  --dry-run     print every step (apt, groups, venv, pip, config, models, systemctl), change nothing
  --user NAME   the account the service runs as (default: you, or \$SUDO_USER under sudo)
  --no-models   skip 'hingecoach models fetch'
  --no-service  do not install, enable or start the systemd unit
  --print-unit  print the systemd unit as it would be installed, and exit
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) DRY_RUN=1 ;;
        --user) [ $# -ge 2 ] || { usage >&2; exit 2; }; SERVICE_USER="$2"; shift ;;
        --user=*) SERVICE_USER="${1#--user=}" ;;
        --no-models) FETCH_MODELS=0 ;;
        --no-service) SERVICE=0 ;;
        --print-unit) PRINT_UNIT=1 ;;
        -h|--help) usage; exit 0 ;;
        *) printf 'install: unknown option %s\n' "$1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: error: %s\n' "$*" >&2; exit 1; }

# step CMD...: run a command, or in --dry-run print it (shell-quoted) and change nothing.
step() {
    if [ "$DRY_RUN" -eq 1 ]; then
        printf '[dry-run] would run:'
        printf ' %q' "$@"
        printf '\n'
    else
        printf 'install: running:'
        printf ' %q' "$@"
        printf '\n'
        "$@"
    fi
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then step "$@"; else step sudo "$@"; fi
}

as_user() {
    if [ "$(id -un)" = "$SERVICE_USER" ]; then step "$@"; else step sudo -u "$SERVICE_USER" -H "$@"; fi
}

# --- who and where -------------------------------------------------------------------------

resolve_user() {
    if [ -z "$SERVICE_USER" ]; then
        if [ "$(id -u)" -eq 0 ]; then
            if [ -n "${SUDO_USER:-}" ] && [ "${SUDO_USER}" != "root" ]; then
                SERVICE_USER="$SUDO_USER"
            else
                die "run this as the user who will use the coach (it calls sudo itself), or pass --user NAME"
            fi
        else
            SERVICE_USER="$(id -un)"
        fi
    fi
    local entry
    entry="$(getent passwd "$SERVICE_USER" || true)"
    [ -n "$entry" ] || die "user '$SERVICE_USER' does not exist: create it (sudo adduser $SERVICE_USER) or pass --user NAME"
    SERVICE_HOME="${HINGECOACH_HOME:-$(printf '%s' "$entry" | cut -d: -f6)}"
    SERVICE_GROUP="$(id -gn "$SERVICE_USER")"
    CONFIG_FILE="$SERVICE_HOME/.config/hingecoach/config.toml"
}

render_unit() {
    [ -f "$TEMPLATE" ] || die "missing $TEMPLATE: run this from a complete checkout"
    sed -e "s|@USER@|$SERVICE_USER|g" -e "s|@GROUP@|$SERVICE_GROUP|g" \
        -e "s|@HOME@|$SERVICE_HOME|g" -e "s|@REPO@|$REPO|g" -e "s|@VENV@|$VENV|g" "$TEMPLATE"
}

# --- preflight: stop early on the wrong machine --------------------------------------------

check_machine() {
    local os_release="${HINGECOACH_OS_RELEASE:-/etc/os-release}"
    [ -r "$os_release" ] || die "cannot read $os_release: this installer is for Raspberry Pi OS Bookworm (64-bit)"
    local id codename pretty
    id="$(sed -n 's/^ID=//p' "$os_release" | tr -d '"')"
    codename="$(sed -n 's/^VERSION_CODENAME=//p' "$os_release" | tr -d '"')"
    pretty="$(sed -n 's/^PRETTY_NAME=//p' "$os_release" | tr -d '"')"
    case "$id" in
        debian|raspbian) ;;
        *) die "wrong OS: found '${pretty:-$id}'; this installer is for Raspberry Pi OS Bookworm (64-bit). Flash it with Raspberry Pi Imager, or on other systems use ./script/setup" ;;
    esac
    [ "$codename" = "bookworm" ] || die "wrong OS release: found '${pretty:-$codename}'; needs Bookworm (Debian 12, Python 3.11), which the pinned mediapipe 0.10.18 has aarch64 wheels for"

    local arch dpkg_arch
    arch="${HINGECOACH_ARCH:-$(uname -m)}"
    dpkg_arch="${HINGECOACH_DPKG_ARCH:-$(dpkg --print-architecture 2>/dev/null || echo unknown)}"
    if [ "$arch" != "aarch64" ] || [ "$dpkg_arch" != "arm64" ]; then
        die "wrong architecture: kernel $arch, packages $dpkg_arch; needs a Raspberry Pi with the 64-bit Raspberry Pi OS (aarch64/arm64): mediapipe has no 32-bit ARM wheels. On a Pi, reflash with 'Raspberry Pi OS (64-bit)'; on other machines use ./script/setup"
    fi

    local model_file="${HINGECOACH_DT_MODEL:-/proc/device-tree/model}" model=""
    [ -r "$model_file" ] && model="$(tr -d '\0' < "$model_file")"
    case "$model" in
        "Raspberry Pi 5"*) say "machine: $model, ${pretty:-$id} ($arch)" ;;
        "") say "warning: cannot tell the board model; Hinge Coach is tuned for a Raspberry Pi 5" ;;
        *) say "warning: found '$model'; Hinge Coach is tuned for a Raspberry Pi 5 (a Pi 4 runs the lite pose model more slowly)" ;;
    esac
}

# --- the steps -----------------------------------------------------------------------------

install_apt() {
    local missing=() p
    for p in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        say "apt: all ${#APT_PACKAGES[@]} packages already installed"
        return
    fi
    say "apt: installing ${missing[*]}"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

add_groups() {
    local g
    for g in "${GROUPS_NEEDED[@]}"; do
        getent group "$g" >/dev/null || { say "groups: no '$g' group on this system, skipped"; continue; }
        if id -nG "$SERVICE_USER" | tr ' ' '\n' | grep -qx "$g"; then
            say "groups: $SERVICE_USER already in $g"
        else
            as_root usermod -aG "$g" "$SERVICE_USER"
        fi
    done
}

make_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        as_user python3 -m venv --system-site-packages "$VENV"
    elif grep -q '^include-system-site-packages = false' "$VENV/pyvenv.cfg" 2>/dev/null; then
        say "venv: $VENV exists without system site packages; switching them on (picamera2 comes from apt)"
        as_user sed -i 's/^include-system-site-packages = false/include-system-site-packages = true/' "$VENV/pyvenv.cfg"
    else
        say "venv: $VENV already there"
    fi
    as_user "$VENV/bin/python" -m pip install --quiet --upgrade pip
    as_user "$VENV/bin/python" -m pip install --quiet -e "${REPO}[all]"
}

write_config() {
    if [ -f "$CONFIG_FILE" ]; then
        say "config: keeping $CONFIG_FILE"
    else
        as_user "$VENV/bin/hingecoach" config init --config "$CONFIG_FILE"
    fi
}

fetch_models() {
    if [ "$FETCH_MODELS" -eq 0 ]; then
        say "models: skipped (--no-models); run '$VENV/bin/hingecoach models fetch pose_landmarker_full speech_melspectrogram speech_embedding' later"
        return
    fi
    # A model that cannot be fetched or verified yet must not abort the install: doctor
    # (last step) names what is missing, and the fetch can be repeated on its own.
    # The pose model, and the speech embedding that checks every voice command (the 9 MB
    # openWakeWord wheel from PyPI, read once per file; without it PocketSphinx works alone).
    as_user "$VENV/bin/hingecoach" models fetch pose_landmarker_full speech_melspectrogram speech_embedding ||
        say "models: fetch incomplete; doctor (below) names what is missing; retry with '$VENV/bin/hingecoach models fetch pose_landmarker_full speech_melspectrogram speech_embedding'"
}

install_service() {
    if [ "$SERVICE" -eq 0 ]; then
        say "service: skipped (--no-service)"
        return
    fi
    local target="$UNIT_DIR/$UNIT_NAME" rendered
    if [ -f "$target" ] && cmp -s <(render_unit) "$target"; then
        say "service: $target is up to date"
    elif [ "$DRY_RUN" -eq 1 ]; then
        printf '[dry-run] would write %s from %s (see: pi/install.sh --print-unit)\n' "$target" "$TEMPLATE"
        as_root systemctl daemon-reload
    else
        rendered="$(mktemp)"
        # shellcheck disable=SC2064  # expand now: the path is fixed
        trap "rm -f '$rendered'" EXIT
        render_unit > "$rendered"
        as_root install -m 0644 "$rendered" "$target"
        as_root systemctl daemon-reload
    fi
    as_root systemctl enable "$UNIT_NAME"
    # A coach that cannot start yet (no camera plugged in) must not abort the install:
    # systemd keeps retrying it, and doctor (next) says what is missing.
    as_root systemctl restart "$UNIT_NAME" ||
        say "service: did not start yet (see: journalctl -u hingecoach -n 50); doctor follows"
}

run_doctor() {
    if [ "$DRY_RUN" -eq 1 ]; then
        as_user "$VENV/bin/hingecoach" doctor
        return
    fi
    as_user "$VENV/bin/hingecoach" doctor || say "doctor found problems (above); fix them, then: sudo systemctl restart $UNIT_NAME"
}

main() {
    resolve_user
    if [ "$PRINT_UNIT" -eq 1 ]; then
        render_unit
        exit 0
    fi
    check_machine
    [ "$DRY_RUN" -eq 1 ] && say "dry run: nothing will be changed"
    say "installing for user $SERVICE_USER (home $SERVICE_HOME) from $REPO"
    install_apt
    add_groups
    make_venv
    write_config
    fetch_models
    install_service
    run_doctor
    if [ "$DRY_RUN" -eq 1 ]; then
        say "dry run finished: nothing was changed"
    else
        say "done. Say \"start hinge drill\". Logs: journalctl -u hingecoach -f"
        say "if $SERVICE_USER was just added to a group, the service already has it; log in again for your shell"
    fi
}

main
