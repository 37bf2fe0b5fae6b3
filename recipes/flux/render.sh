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
helm template "$release" "$chart" --namespace "$namespace" "$@" \
  | consul-inject --namespace "$namespace" ${CONSUL_INJECT_ARGS:-} > "$out/manifests.yaml.tmp"
mv "$out/manifests.yaml.tmp" "$out/manifests.yaml"
cat > "$out/kustomization.yaml" <<KUST
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: $namespace
resources:
  - manifests.yaml
KUST
