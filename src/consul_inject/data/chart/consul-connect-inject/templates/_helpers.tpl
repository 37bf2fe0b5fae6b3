{{- /*
Renders: nothing by itself; the named templates the other files share. Every name starts with
"cci." (consul-connect-inject), grouped as:
  naming      cci.name, cci.prefix
  switches    cci.on, cci.controlPlane, cci.injectorOn, cci.controllerOn, cci.bool,
              cci.checkValues
  metadata    cci.labels, cci.podLabels
  containers  cci.image, cci.logLevel, cci.resources, cci.command, cci.consulEnv,
              cci.tokenEnv, cci.caVolumes, cci.caMounts, cci.initContainers, cci.placement
  flags       cci.injectorFlags, cci.controllerFlags, cci.caFetchFlags, cci.aclInitFlags,
              cci.tenancyFlags, cci.resourceFlags
  RBAC        cci.leaseRule, cci.leaderElectionRules, cci.configEntryKinds
  the rest    cci.servingCert, cci.settings
When: included by the templates. Names, labels and flags follow what an installation of the
consul-k8s v0.49.8 chart with the same values would have, so that the injector, the
post-renderer and anything already in the cluster agree on them.

Header convention (tests/helm/test_chart_words.py checks it): every file under templates/
opens with a comment like this one, with a "Renders:" line (what comes out) and a "When:"
line (the values that make it come out).
*/ -}}

{{- /* ---- naming ------------------------------------------------------------------------ */}}

{{/* The value of the `app` label: nameOverride, else "consul". The webhook leaves pods with
     this label alone. */}}
{{- define "cci.name" -}}
{{- .Values.nameOverride | default "consul" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The prefix of every resource name (and the injector's -resource-prefix): the first set of
     fullnameOverride, global.name and "<release>-<cci.name>", cut to 63 characters. */}}
{{- define "cci.prefix" -}}
{{- $fallback := printf "%s-%s" .Release.Name (include "cci.name" .) -}}
{{- coalesce .Values.fullnameOverride .Values.global.name $fallback | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- /* ---- switches ---------------------------------------------------------------------- */}}

{{/* "true" when a switch of the Consul chart's kind is on, else empty. Such a switch is true,
     false, or "-" for "as the fallback says". Argument: (list switch fallback). */}}
{{- define "cci.on" -}}
{{- $value := index . 0 -}}
{{- if eq (toString $value) "-" }}{{ $value = index . 1 }}{{ end -}}
{{- if $value }}true{{ end -}}
{{- end -}}

{{/* "true" when this chart installs the consul-k8s 0.49 control plane: under
     consulInject.consulK8sVersion "1.9" or "2.0" the official Consul chart installs the
     injector's cluster side, and this chart renders only the settings ConfigMap. */}}
{{- define "cci.controlPlane" -}}
{{- $version := toString ((.Values.consulInject | default dict).consulK8sVersion | default "0.49") -}}
{{- if not (has $version (list "1.9" "2.0")) }}true{{ end -}}
{{- end -}}

{{/* Whether the injector and everything around it renders (connectInject.enabled, 0.49). */}}
{{- define "cci.injectorOn" -}}
{{- if include "cci.controlPlane" . -}}
{{- include "cci.on" (list .Values.connectInject.enabled .Values.global.enabled) -}}
{{- end -}}
{{- end -}}

{{/* Whether the config-entry controller and its CRDs render (controller.enabled, 0.49). */}}
{{- define "cci.controllerOn" -}}
{{- if and (include "cci.controlPlane" .) .Values.controller.enabled }}true{{ end -}}
{{- end -}}

{{/* "true" or "false" for any value, by its truth. */}}
{{- define "cci.bool" -}}
{{- if . }}true{{ else }}false{{ end -}}
{{- end -}}

{{/* Stops the render on values the chart cannot honour. The values schema refuses most of
     them first; these messages are the ones the values validator says the chart gives.
     Argument: (list $ "injector"|"controller"). */}}
{{- define "cci.checkValues" -}}
{{- $ctx := index . 0 -}}
{{- $g := $ctx.Values.global -}}
{{- $ns := $ctx.Values.connectInject.consulNamespaces -}}
{{- $reserved := list "system" "universal" "operator" "root" -}}
{{- if and $g.adminPartitions.enabled (not $g.enableConsulNamespaces) -}}
{{- fail "global.enableConsulNamespaces must be true if global.adminPartitions.enabled=true" -}}
{{- end -}}
{{- if and $ns.mirroringK8S (not $g.enableConsulNamespaces) -}}
{{- fail "global.enableConsulNamespaces must be true if mirroringK8S=true" -}}
{{- end -}}
{{- range $key, $name := dict "connectInject.consulNamespaces.consulDestinationNamespace" $ns.consulDestinationNamespace "global.adminPartitions.name" $g.adminPartitions.name -}}
{{- if has $name $reserved -}}
{{- fail (printf "The name %s set for key %s is reserved by Consul for future use." $name $key) -}}
{{- end -}}
{{- end -}}
{{- if $g.secretsBackend.vault.enabled -}}
{{- fail "global.secretsBackend.vault.enabled: consul-connect-inject has no Vault support yet (webhook certificates, CA and tokens come from Kubernetes Secrets); use the official Consul chart's injector with Vault" -}}
{{- end -}}
{{- if and (eq (index . 1) "injector") $g.peering.enabled -}}
{{- fail "global.peering.enabled: consul-connect-inject does not install the peering CRDs and controllers; use the official Consul chart's injector for cluster peering" -}}
{{- end -}}
{{- end -}}

{{- /* ---- metadata ---------------------------------------------------------------------- */}}

{{/* Labels as a YAML map. Argument: (list $ component [key ...]); without keys all five
     (app, chart, heritage, release, component), with keys only those: selectors use a fixed
     subset that must not change across upgrades. */}}
{{- define "cci.labels" -}}
{{- $ctx := index . 0 -}}
{{- $all := dict "app" (include "cci.name" $ctx) "chart" $ctx.Chart.Name "heritage" $ctx.Release.Service "release" $ctx.Release.Name "component" (index . 1) -}}
{{- $keys := rest (rest .) -}}
{{- if $keys -}}
{{- $picked := dict -}}
{{- range $keys }}{{ $_ := set $picked . (get $all .) }}{{ end -}}
{{- $all = $picked -}}
{{- end -}}
{{- toYaml $all -}}
{{- end -}}

{{/* A pod template's labels: cci.labels with the given keys, plus global.extraLabels (which
     cannot replace ours: the Deployment's selector relies on them). Same argument. */}}
{{- define "cci.podLabels" -}}
{{- $ctx := index . 0 -}}
{{- $own := include "cci.labels" . | fromYaml -}}
{{- toYaml (merge $own (deepCopy ($ctx.Values.global.extraLabels | default dict))) -}}
{{- end -}}

{{- /* ---- containers -------------------------------------------------------------------- */}}

{{/* An image name. Argument: (list $ which), which is "injector" (connectInject.image),
     "consul" (connectInject.imageConsul) or "controlPlane"; each falls back to its global
     image (global.imageK8S, global.image, global.imageK8S). */}}
{{- define "cci.image" -}}
{{- $g := (index . 0).Values.global -}}
{{- $ci := (index . 0).Values.connectInject -}}
{{- $which := index . 1 -}}
{{- if eq $which "injector" }}{{ $ci.image | default $g.imageK8S }}
{{- else if eq $which "consul" }}{{ $ci.imageConsul | default $g.image }}
{{- else }}{{ $g.imageK8S }}
{{- end -}}
{{- end -}}

{{/* A component's log level: its own logLevel, else global.logLevel. Argument: (list $ section). */}}
{{- define "cci.logLevel" -}}
{{- (index . 1).logLevel | default (index . 0).Values.global.logLevel -}}
{{- end -}}

{{/* A container's `resources:` from a requests/limits map; nothing for an empty one. */}}
{{- define "cci.resources" -}}
{{- if . -}}
resources:
  {{- toYaml . | nindent 2 }}
{{- end -}}
{{- end -}}

{{/* A container command running one consul-k8s-control-plane subcommand through /bin/sh, one
     flag a line. Argument: (list subcommand flags trailing): flags is text with one flag a line
     (blank lines and indentation dropped); with trailing true the last flag also ends in " \",
     as the official chart's injector and controller commands do, so that those commands stay
     byte for byte the same. */}}
{{- define "cci.command" -}}
{{- $flags := list -}}
{{- range splitList "\n" (index . 1) -}}
{{- $flag := regexReplaceAll "^\\s+" . "" -}}
{{- if $flag }}{{ $flags = append $flags $flag }}{{ end -}}
{{- end -}}
- /bin/sh
- -ec
- |
  consul-k8s-control-plane {{ index . 0 }}
  {{- range $flags }} \
    {{ . }}
  {{- end }}{{ if index . 2 }} \{{ end }}
{{- end -}}

{{/* Where a control-plane container finds the Consul client agent on its node (and the CA
     that signs the agent's certificate, with TLS). */}}
{{- define "cci.consulEnv" -}}
{{- $tls := .Values.global.tls -}}
- name: HOST_IP
  valueFrom:
    fieldRef:
      fieldPath: status.hostIP
- name: CONSUL_HTTP_ADDR
{{- if $tls.enabled }}
  value: https://$(HOST_IP):8501
- name: CONSUL_CACERT
  value: {{ ternary "/consul/tls/client/ca/tls.crt" "/consul/tls/ca/tls.crt" (not (not $tls.enableAutoEncrypt)) }}
{{- else }}
  value: http://$(HOST_IP):8500
{{- end }}
{{- end -}}

{{/* The ACL token of a control-plane container: the file its acl-init container writes (with
     global.acls.manageSystemACLs), and/or a token from a Secret the user names.
     Argument: (list $ tokenValues), tokenValues having secretName and secretKey. */}}
{{- define "cci.tokenEnv" -}}
{{- $ref := index . 1 -}}
{{- if (index . 0).Values.global.acls.manageSystemACLs }}
- name: CONSUL_HTTP_TOKEN_FILE
  value: /consul/login/acl-token
{{- end }}
{{- if and $ref.secretName $ref.secretKey }}
- name: CONSUL_HTTP_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ $ref.secretName | quote }}
      key: {{ $ref.secretKey | quote }}
{{- end }}
{{- end -}}

{{/* With TLS: the volume holding the Consul CA (global.tls.caCert, else <prefix>-ca-cert) and,
     with auto-encrypt, an in-memory one for the CA the client agents hand out. */}}
{{- define "cci.caVolumes" -}}
{{- $tls := .Values.global.tls -}}
{{- if $tls.enabled }}
- name: consul-ca-cert
  secret:
    secretName: {{ $tls.caCert.secretName | default (printf "%s-ca-cert" (include "cci.prefix" .)) }}
    items:
      - key: {{ $tls.caCert.secretKey | default "tls.crt" }}
        path: tls.crt
{{- if $tls.enableAutoEncrypt }}
- name: consul-auto-encrypt-ca-cert
  emptyDir:
    medium: Memory
{{- end }}
{{- end }}
{{- end -}}

{{/* Mounts of cci.caVolumes. Argument: (list $ readOnly). */}}
{{- define "cci.caMounts" -}}
{{- $tls := (index . 0).Values.global.tls -}}
{{- $ro := index . 1 -}}
{{- if $tls.enabled }}
- name: consul-ca-cert
  mountPath: /consul/tls/ca
  {{- if $ro }}
  readOnly: true
  {{- end }}
{{- if $tls.enableAutoEncrypt }}
- name: consul-auto-encrypt-ca-cert
  mountPath: /consul/tls/client/ca
  {{- if $ro }}
  readOnly: true
  {{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The init containers of a control-plane pod, in the order they must run: fetch the client
     agents' CA (TLS with auto-encrypt), then log in to Consul (manageSystemACLs); each with
     small fixed resources. Argument: (list $ component logLevel). Empty when neither applies. */}}
{{- define "cci.initContainers" -}}
{{- $ctx := index . 0 -}}
{{- $component := index . 1 -}}
{{- $g := $ctx.Values.global -}}
{{- $image := include "cci.image" (list $ctx "controlPlane") -}}
{{- if and $g.tls.enabled $g.tls.enableAutoEncrypt }}
- name: get-auto-encrypt-client-ca
  image: {{ $image | quote }}
  command:
    {{- include "cci.command" (list "get-consul-client-ca" (include "cci.caFetchFlags" $ctx) false) | nindent 4 }}
  volumeMounts:
    {{- include "cci.caMounts" (list $ctx false) | trim | nindent 4 }}
  {{- $fixed := dict "cpu" "50m" "memory" "50Mi" }}
  {{- include "cci.resources" (dict "requests" $fixed "limits" $fixed) | nindent 2 }}
{{- end }}
{{- if $g.acls.manageSystemACLs }}
- name: {{ $component }}-acl-init
  image: {{ $image | quote }}
  env:
    - name: NAMESPACE
      valueFrom:
        fieldRef:
          fieldPath: metadata.namespace
    {{- include "cci.consulEnv" $ctx | nindent 4 }}
  command:
    {{- include "cci.command" (list "acl-init" (include "cci.aclInitFlags" .) false) | nindent 4 }}
  volumeMounts:
    - name: consul-data
      mountPath: /consul/login
    {{- with include "cci.caMounts" (list $ctx true) | trim }}{{ . | nindent 4 }}{{ end }}
  {{- $fixed := dict "cpu" "50m" "memory" "25Mi" }}
  {{- include "cci.resources" (dict "requests" $fixed "limits" $fixed) | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Pod scheduling from a component's values: priorityClassName, and nodeSelector, affinity
     and tolerations, which are YAML written as strings (rendered with tpl, so they may use
     template expressions). Argument: (list $ section). */}}
{{- define "cci.placement" -}}
{{- $ctx := index . 0 -}}
{{- $v := index . 1 -}}
{{- with $v.priorityClassName }}
priorityClassName: {{ . | quote }}
{{- end }}
{{- range $field := list "nodeSelector" "affinity" "tolerations" }}
{{- with get $v $field }}
{{ $field }}:
  {{- tpl . $ctx | trim | nindent 2 }}
{{- end }}
{{- end }}
{{- end -}}

{{- /* ---- flags ------------------------------------------------------------------------- */}}

{{/* The flags of `consul-k8s-control-plane inject-connect`, one a line, in the order of the
     official chart's command (tests compare the two byte for byte). */}}
{{- define "cci.injectorFlags" -}}
{{- $g := .Values.global -}}
{{- $ci := .Values.connectInject -}}
{{- $m := $ci.metrics -}}
{{- $tp := $ci.transparentProxy -}}
{{- $redirectDNS := and (include "cci.on" (list .Values.dns.enabled $g.enabled)) .Values.dns.enableRedirection -}}
{{- /* logging, and the pod defaults the webhook applies */}}
-consul-api-timeout={{ $g.consulAPITimeout }}
-log-level={{ include "cci.logLevel" (list . $ci) }}
-log-json={{ $g.logJSON }}
-default-inject={{ $ci.default }}
-consul-image="{{ include "cci.image" (list . "consul") }}"
-envoy-image="{{ $g.imageEnvoy }}"
-consul-k8s-image="{{ include "cci.image" (list . "injector") }}"
-release-name="{{ .Release.Name }}"
-release-namespace="{{ .Release.Namespace }}"
-resource-prefix={{ include "cci.prefix" . }}
-listen=:8080
-default-enable-transparent-proxy={{ include "cci.bool" $tp.defaultEnabled }}
-enable-cni={{ $ci.cni.enabled }}
{{- if $g.openshift.enabled }}
-enable-openshift
{{- end }}
-transparent-proxy-default-overwrite-probes={{ include "cci.bool" $tp.defaultOverwriteProbes }}
{{- if $redirectDNS }}
-enable-consul-dns=true
{{- end }}
{{- /* metrics; the official command has two spaces before this flag's " \", hence the " " */}}
-default-enable-metrics={{ include "cci.bool" (include "cci.on" (list $m.defaultEnabled $g.metrics.enabled)) }}
-default-enable-metrics-merging={{ $m.defaultEnableMerging }}{{ " " }}
-default-merged-metrics-port={{ $m.defaultMergedMetricsPort }}
-default-prometheus-scrape-port={{ $m.defaultPrometheusScrapePort }}
-default-prometheus-scrape-path="{{ $m.defaultPrometheusScrapePath }}"
{{- with $ci.envoyExtraArgs }}
-envoy-extra-args="{{ . }}"
{{- end }}
{{- /* who may be injected, and where they are registered */}}
{{- if $ci.overrideAuthMethodName }}
-acl-auth-method="{{ $ci.overrideAuthMethodName }}"
{{- else if $g.acls.manageSystemACLs }}
-acl-auth-method="{{ include "cci.prefix" . }}-k8s-auth-method"
{{- end }}
{{- range $ci.k8sAllowNamespaces }}
-allow-k8s-namespace="{{ . }}"
{{- end }}
{{- range $ci.k8sDenyNamespaces }}
-deny-k8s-namespace="{{ . }}"
{{- end }}
{{ include "cci.tenancyFlags" . }}
-tls-cert-dir=/etc/connect-injector/certs
{{- /* resources of the containers the webhook adds */}}
{{ include "cci.resourceFlags" (list "default-sidecar-proxy" $ci.sidecarProxy.resources) }}
-default-envoy-proxy-concurrency={{ $ci.sidecarProxy.concurrency }}
{{ include "cci.resourceFlags" (list "init-container" $ci.initContainer.resources) }}
{{ include "cci.resourceFlags" (list "default-consul-sidecar" $g.consulSidecarContainer.resources) }}
{{- end -}}

{{/* The flags of `consul-k8s-control-plane controller`, one a line. */}}
{{- define "cci.controllerFlags" -}}
{{- $g := .Values.global -}}
-consul-api-timeout={{ $g.consulAPITimeout }}
-log-level={{ include "cci.logLevel" (list . .Values.controller) }}
-log-json={{ $g.logJSON }}
-resource-prefix={{ include "cci.prefix" . }}
-webhook-tls-cert-dir=/tmp/controller-webhook/certs
-datacenter={{ $g.datacenter }}
-enable-leader-election
{{ include "cci.tenancyFlags" . }}
{{- end -}}

{{/* The flags of `get-consul-client-ca`: copy the CA the client agents use (auto-encrypt) from
     the servers, for the containers that talk to the agents. */}}
{{- define "cci.caFetchFlags" -}}
-output-file=/consul/tls/client/ca/tls.crt
-consul-api-timeout={{ .Values.global.consulAPITimeout }}
-server-addr={{ include "cci.prefix" . }}-server
-server-port=8501
-ca-file=/consul/tls/ca/tls.crt
{{- end -}}

{{/* The flags of `acl-init`: log in with the component auth method and write the token to
     /consul/login. Argument: (list $ component logLevel). */}}
{{- define "cci.aclInitFlags" -}}
{{- $ctx := index . 0 -}}
{{- $g := $ctx.Values.global -}}
-component-name={{ index . 1 }}
-acl-auth-method={{ include "cci.prefix" $ctx }}-k8s-component-auth-method
{{- if $g.adminPartitions.enabled }}
-partition={{ $g.adminPartitions.name }}
{{- end }}
-consul-api-timeout={{ $g.consulAPITimeout }}
-log-level={{ index . 2 }}
-log-json={{ $g.logJSON }}
{{- end -}}

{{/* Admin partition and Consul namespace flags, the same for the injector and the controller. */}}
{{- define "cci.tenancyFlags" -}}
{{- $g := .Values.global -}}
{{- $ns := .Values.connectInject.consulNamespaces -}}
{{- if $g.adminPartitions.enabled }}
-enable-partitions=true
-partition={{ $g.adminPartitions.name }}
{{- end }}
{{- if $g.enableConsulNamespaces }}
-enable-namespaces=true
{{- with $ns.consulDestinationNamespace }}
-consul-destination-namespace={{ . }}
{{- end }}
{{- if $ns.mirroringK8S }}
-enable-k8s-namespace-mirroring=true
{{- with $ns.mirroringK8SPrefix }}
-k8s-namespace-mirroring-prefix={{ . }}
{{- end }}
{{- end }}
{{- if $g.acls.manageSystemACLs }}
-consul-cross-namespace-acl-policy=cross-namespace-policy
{{- end }}
{{- end }}
{{- end -}}

{{/* -<prefix>-memory-limit, -memory-request, -cpu-limit, -cpu-request from a requests/limits
     map, leaving out each quantity that is null. Argument: (list prefix resources). */}}
{{- define "cci.resourceFlags" -}}
{{- $prefix := index . 0 -}}
{{- $res := index . 1 -}}
{{- range $quantity := list "memory" "cpu" }}
{{- range $bound := list "limit" "request" }}
{{- $value := index $res (printf "%ss" $bound) $quantity }}
{{- if not (kindIs "invalid" $value) }}
-{{ $prefix }}-{{ $quantity }}-{{ $bound }}={{ $value }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{- /* ---- RBAC -------------------------------------------------------------------------- */}}

{{/* Leader election through Leases, for both control-plane ClusterRoles. */}}
{{- define "cci.leaseRule" -}}
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [create, get, list, update]
{{- end -}}

{{/* Leader election through ConfigMaps and Events in the release namespace, for both Roles. */}}
{{- define "cci.leaderElectionRules" -}}
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [""]
  resources: [configmaps/status]
  verbs: [get, update, patch]
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
{{- end -}}

{{/* The config-entry kinds the controller serves, as a YAML list of {resource, hook}: the
     plural resource name, and the name in its webhook path (/mutate-v1alpha1-<hook>). Listed
     in the order of the controller's ClusterRole. */}}
{{- define "cci.configEntryKinds" -}}
- {resource: servicedefaults, hook: servicedefaults}
- {resource: serviceresolvers, hook: serviceresolver}
- {resource: proxydefaults, hook: proxydefaults}
- {resource: meshes, hook: mesh}
- {resource: exportedservices, hook: exportedservices}
- {resource: servicerouters, hook: servicerouter}
- {resource: servicesplitters, hook: servicesplitter}
- {resource: serviceintentions, hook: serviceintentions}
- {resource: ingressgateways, hook: ingressgateway}
- {resource: terminatinggateways, hook: terminatinggateway}
{{- end -}}

{{- /* ---- the rest ---------------------------------------------------------------------- */}}

{{/* A webhook's serving certificate as YAML {crt, key, ca}, each base64. The Secret already in
     the cluster is reused when it holds all three (Helm's lookup sees it on install and
     upgrade, never under `helm template`); else a fresh CA and certificate, ECDSA P-256 (RSA
     keys can take seconds each), valid ten years for every DNS name of the Service.
     Argument: (list $ serviceName secretName). */}}
{{- define "cci.servingCert" -}}
{{- $ctx := index . 0 -}}
{{- $service := index . 1 -}}
{{- $ns := $ctx.Release.Namespace -}}
{{- $found := get (lookup "v1" "Secret" $ns (index . 2) | default dict) "data" | default dict -}}
{{- if and (hasKey $found "tls.crt") (hasKey $found "tls.key") (hasKey $found "ca.crt") -}}
{{- dict "crt" (get $found "tls.crt") "key" (get $found "tls.key") "ca" (get $found "ca.crt") | toYaml -}}
{{- else -}}
{{- $days := 3650 -}}
{{- $ca := genCAWithKey (printf "%s-ca" $service) $days (genPrivateKey "ecdsa") -}}
{{- $svc := printf "%s.%s.svc" $service $ns -}}
{{- $names := list $service (printf "%s.%s" $service $ns) $svc (printf "%s.cluster.local" $svc) -}}
{{- $leaf := genSignedCertWithKey $svc nil $names $days $ca (genPrivateKey "ecdsa") -}}
{{- dict "crt" ($leaf.Cert | b64enc) "key" ($leaf.Key | b64enc) "ca" ($ca.Cert | b64enc) | toYaml -}}
{{- end -}}
{{- end -}}

{{/* The values the consul-inject post-renderer needs to inject as this injector would: global,
     connectInject, consulInject, the DNS switches, and the name overrides. global.name is pinned
     to cci.prefix, so that the post-renderer derives the same resource names without knowing
     the release name. Under consul-k8s 1.9/2.0 only consulInject: this chart's other values
     are 0.49's, and the Consul values come from the official chart's values file given to the
     post-renderer. */}}
{{- define "cci.settings" -}}
{{- if not (include "cci.controlPlane" .) -}}
{{- toYaml (dict "consulInject" .Values.consulInject) -}}
{{- else -}}
{{- $global := deepCopy .Values.global -}}
{{- if not (or .Values.fullnameOverride .Values.global.name) -}}
{{- $_ := set $global "name" (include "cci.prefix" .) -}}
{{- end -}}
{{- $settings := dict "global" $global "connectInject" .Values.connectInject "consulInject" .Values.consulInject -}}
{{- $_ := set $settings "dns" (dict "enabled" .Values.dns.enabled "enableRedirection" .Values.dns.enableRedirection) -}}
{{- range $key := list "nameOverride" "fullnameOverride" -}}
{{- with get $.Values $key }}{{ $_ := set $settings $key . }}{{ end -}}
{{- end -}}
{{- toYaml $settings -}}
{{- end -}}
{{- end -}}
