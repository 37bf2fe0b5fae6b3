#!/bin/sh
# Launcher of the Helm 4 post-renderer plugin; Helm appends the --post-renderer-args to "$@".
# Which consul-inject runs, first found wins:
#   1. $CONSUL_INJECT_BIN (the `consul-inject helm` wrapper sets it to itself);
#   2. the one recorded in consul-inject.bin by `consul-inject plugin install`;
#   3. the one installed beside this copy of the plugin (the plugin inside an installed package,
#      as `consul-inject plugin path` shows it: <prefix>/lib/pythonX.Y/site-packages/... and
#      <prefix>/bin/consul-inject);
#   4. consul-inject on PATH.
# CONSUL_INJECT_HELM4 tells consul-inject that Helm 4 discards its stderr.
CONSUL_INJECT_HELM4=1
export CONSUL_INJECT_HELM4
here=$(dirname "$0")
if [ -n "${CONSUL_INJECT_BIN:-}" ]; then
  exec "$CONSUL_INJECT_BIN" "$@"
fi
if [ -f "$here/consul-inject.bin" ]; then
  exec "$(cat "$here/consul-inject.bin")" "$@"
fi
beside="$here/../../../../../../../bin/consul-inject"
if [ -x "$beside" ]; then
  exec "$beside" "$@"
fi
if command -v consul-inject >/dev/null 2>&1; then
  exec consul-inject "$@"
fi
msg="consul-inject: error: the Helm 4 plugin found no consul-inject command; run 'consul-inject plugin install' again, put consul-inject on PATH, or set CONSUL_INJECT_BIN"
echo "$msg" >&2
{ echo "$msg" >/dev/tty; } 2>/dev/null
log="${CONSUL_INJECT_LOG:-${XDG_STATE_HOME:-$HOME/.local/state}/consul-inject/last-run.log}"
mkdir -p "$(dirname "$log")" 2>/dev/null && echo "$msg" >"$log"
exit 1
