#!/bin/sh
# Launcher for the Helm 4 plugin: Helm appends the --post-renderer-args after ours.
# CONSUL_INJECT_BIN picks a binary (e.g. a virtualenv's); else consul-inject on PATH.
if [ -n "${CONSUL_INJECT_BIN:-}" ]; then
  exec "$CONSUL_INJECT_BIN" "$@"
fi
if command -v consul-inject >/dev/null 2>&1; then
  exec consul-inject "$@"
fi
exec python3 -m consul_inject "$@"
