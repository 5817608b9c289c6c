#!/bin/sh
# The fallback screen (kiosk-out-of-order.service, the OnFailure= of kiosk.service): a plain
# message on the console that needs no GPU, no Qt and no models. After KIOSK_RETRY_AFTER_S
# it clears the failure and starts the kiosk again (which stops this screen: Conflicts=).
set -u
tty=${1:-/dev/tty1}
retry_after=${KIOSK_RETRY_AFTER_S:-900}
message=${KIOSK_OUT_OF_ORDER_TEXT:-"Sorry, this kiosk is out of order. Please ask a member of staff."}

show() {
    [ -c "$tty" ] || return 0
    command -v chvt >/dev/null 2>&1 && chvt "$(echo "$tty" | sed 's/[^0-9]//g')" 2>/dev/null
    rows=25 cols=80
    size=$(stty -F "$tty" size 2>/dev/null) && { rows=${size% *}; cols=${size#* }; }
    [ "${rows:-0}" -gt 2 ] && [ "${cols:-0}" -gt 2 ] || { rows=25 cols=80; }
    pad_rows=$((rows / 2 - 1))
    pad_cols=$(((cols - ${#message}) / 2))
    [ "$pad_cols" -lt 0 ] && pad_cols=0
    {
        printf '\033[?25l\033[44;97m\033[2J\033[H'       # cursor off, white on blue, clear
        printf '\033[%d;%dH%s' "$pad_rows" "$((pad_cols + 1))" "$message"
        printf '\033[%d;1H' "$rows"
    } >"$tty"
}

echo "out-of-order: kiosk.service failed; showing the out-of-order screen on $tty"
show
sleep "$retry_after"
echo "out-of-order: trying the kiosk again"
systemctl reset-failed kiosk.service || true
exec systemctl start --no-block kiosk.service
