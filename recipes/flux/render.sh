#!/bin/sh
# Flux has no arbitrary post-renderers (helm-controller runs only its Kustomize one). Render and
# inject in CI instead, commit the result, and let Flux's Kustomization apply plain manifests:
#   recipes/flux/render.sh RELEASE CHART NAMESPACE OUT_DIR [helm args...]
# Re-run it when the chart, the Consul values or the consul-inject version change; --reinject is
# not needed because every run starts from a fresh `helm template`.
set -eu
release=$1 chart=$2 namespace=$3 out=$4
shift 4
mkdir -p "$out"
trap 'rm -f "$out/rendered.yaml.tmp" "$out/manifests.yaml.tmp"' EXIT
# No pipe: sh has no pipefail, and a failing `helm template` must not leave an empty manifest
# behind (Flux would prune everything it no longer lists).
helm template "$release" "$chart" --namespace "$namespace" "$@" > "$out/rendered.yaml.tmp"
consul-inject --namespace "$namespace" ${CONSUL_INJECT_ARGS:-} \
  < "$out/rendered.yaml.tmp" > "$out/manifests.yaml.tmp"
rm -f "$out/rendered.yaml.tmp"
mv "$out/manifests.yaml.tmp" "$out/manifests.yaml"
cat > "$out/kustomization.yaml" <<KUST
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: $namespace
resources:
  - manifests.yaml
KUST
