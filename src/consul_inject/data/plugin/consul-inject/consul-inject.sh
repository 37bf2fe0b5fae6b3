#!/bin/sh
# Launcher for the Helm 4 plugin: Helm appends the --post-renderer-args after ours.
# CONSUL_INJECT_BIN picks a binary (e.g. a virtualenv's); else consul-inject on PATH.
# CONSUL_INJECT_HELM4 tells consul-inject that Helm 4 discards its stderr.
CONSUL_INJECT_HELM4=1
export CONSUL_INJECT_HELM4
if [ -n "${CONSUL_INJECT_BIN:-}" ]; then
  exec "$CONSUL_INJECT_BIN" "$@"
fi
if command -v consul-inject >/dev/null 2>&1; then
  exec consul-inject "$@"
fi
if python3 -c 'import consul_inject' >/dev/null 2>&1; then
  exec python3 -m consul_inject "$@"
fi
msg="consul-inject: error: the Helm 4 plugin found no consul-inject command; put it on PATH or set CONSUL_INJECT_BIN"
echo "$msg" >&2
{ echo "$msg" >/dev/tty; } 2>/dev/null
log="${CONSUL_INJECT_LOG:-${XDG_STATE_HOME:-$HOME/.local/state}/consul-inject/last-run.log}"
mkdir -p "$(dirname "$log")" 2>/dev/null && echo "$msg" >"$log"
exit 1
