#!/bin/sh
# Keep the kiosk's console awake and clean: no blanking, no power-down, no cursor.
# Usage: display-setup.sh /dev/ttyN   (run as root by kiosk-display.service)
set -eu
tty=${1:-/dev/tty1}
if [ ! -c "$tty" ]; then
    echo "display-setup: $tty is not a terminal device; nothing to do" >&2
    exit 0
fi
if command -v setterm >/dev/null 2>&1; then
    TERM=linux setterm --blank 0 --powerdown 0 --powersave off --cursor off --clear all \
        >"$tty" <"$tty" || echo "display-setup: setterm failed on $tty" >&2
else
    # The same, as console escape codes: blank 0, power-down 0, cursor off, clear.
    printf '\033[9;0]\033[14;0]\033[?25l\033[2J\033[H' >"$tty"
fi
# Kernel console blanking (set at boot by consoleblank=0 on the kernel command line, too).
if [ -w /sys/module/kernel/parameters/consoleblank ]; then
    echo 0 >/sys/module/kernel/parameters/consoleblank || true
fi
echo "display-setup: $tty will not blank"
