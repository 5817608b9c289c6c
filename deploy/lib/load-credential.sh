#!/bin/sh
# LoadCredential= for systemd < 247: copy a root-owned secret into the service's runtime
# directory, readable only by the service user. Usage: load-credential.sh ID SOURCE DIR
# Run as root from ExecStartPre=+ (see systemd/dropins/credential-fallback.conf).
set -eu
id=$1 source=$2 dir=$3
user=${KIOSK_USER:-kiosk}
install -d -m 0700 -o "$user" -g "$user" "$dir"
if [ -f "$source" ]; then
    install -m 0400 -o "$user" -g "$user" "$source" "$dir/$id"
else
    : >"$dir/$id"
    chown "$user:$user" "$dir/$id"
    chmod 0400 "$dir/$id"
fi
