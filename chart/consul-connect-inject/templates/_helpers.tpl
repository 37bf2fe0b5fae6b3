{{/*
Names and switches as the consul-k8s v0.49.8 chart defines them, so that resource names, the
injector's -resource-prefix and the webhook's objectSelector match an installation of that chart
with the same values.
*/}}

{{/* The chart name used in labels (app: consul): the injector skips pods labelled with it. */}}
{{- define "consul.name" -}}
{{- default "consul" .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* fullnameOverride, else global.name, else <release>-consul. */}}
{{- define "consul.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if .Values.global.name -}}
{{- .Values.global.name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "consul.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "consul.chart" -}}
{{- .Chart.Name -}}
{{- end -}}

{{- define "consul.labels" -}}
app: {{ template "consul.name" . }}
chart: {{ template "consul.chart" . }}
heritage: {{ .Release.Service }}
release: {{ .Release.Name }}
{{- end -}}

{{/* connectInject.enabled, where "-" follows global.enabled. Empty when off. */}}
{{- define "consul.connectInjectEnabled" -}}
{{- if (or (and (ne (.Values.connectInject.enabled | toString) "-") .Values.connectInject.enabled) (and (eq (.Values.connectInject.enabled | toString) "-") .Values.global.enabled)) -}}
true
{{- end -}}
{{- end -}}

{{- define "consul.dnsRedirection" -}}
{{- if (and (or (and (ne (.Values.dns.enabled | toString) "-") .Values.dns.enabled) (and (eq (.Values.dns.enabled | toString) "-") .Values.global.enabled)) .Values.dns.enableRedirection) -}}
true
{{- end -}}
{{- end -}}

{{- define "consul.metricsDefaultEnabled" -}}
{{- if (or (and (ne (.Values.connectInject.metrics.defaultEnabled | toString) "-") .Values.connectInject.metrics.defaultEnabled) (and (eq (.Values.connectInject.metrics.defaultEnabled | toString) "-") .Values.global.metrics.enabled)) -}}
true
{{- end -}}
{{- end -}}

{{/* The chart's own fail rules (the schema refuses most of these values first). */}}
{{- define "consul.validate" -}}
{{- if and .Values.global.adminPartitions.enabled (not .Values.global.enableConsulNamespaces) }}{{ fail "global.enableConsulNamespaces must be true if global.adminPartitions.enabled=true" }}{{ end -}}
{{- if and .Values.connectInject.consulNamespaces.mirroringK8S (not .Values.global.enableConsulNamespaces) }}{{ fail "global.enableConsulNamespaces must be true if mirroringK8S=true" }}{{ end -}}
{{- $reserved := list "system" "universal" "operator" "root" -}}
{{- if has .Values.connectInject.consulNamespaces.consulDestinationNamespace $reserved }}{{ fail (printf "The name %s set for key connectInject.consulNamespaces.consulDestinationNamespace is reserved by Consul for future use." .Values.connectInject.consulNamespaces.consulDestinationNamespace) }}{{ end -}}
{{- if has .Values.global.adminPartitions.name $reserved }}{{ fail (printf "The name %s set for key global.adminPartitions.name is reserved by Consul for future use." .Values.global.adminPartitions.name) }}{{ end -}}
{{- if .Values.global.secretsBackend.vault.enabled }}{{ fail "global.secretsBackend.vault.enabled: consul-connect-inject has no Vault support yet (webhook certificates, CA and tokens come from Kubernetes Secrets); use the official Consul chart's injector with Vault" }}{{ end -}}
{{- end -}}

{{/* Consul client agent address and CA, for the control-plane containers. */}}
{{- define "consul.agentEnv" -}}
- name: HOST_IP
  valueFrom:
    fieldRef:
      fieldPath: status.hostIP
{{- if .Values.global.tls.enabled }}
- name: CONSUL_HTTP_ADDR
  value: https://$(HOST_IP):8501
- name: CONSUL_CACERT
  {{- if .Values.global.tls.enableAutoEncrypt }}
  value: /consul/tls/client/ca/tls.crt
  {{- else }}
  value: /consul/tls/ca/tls.crt
  {{- end }}
{{- else }}
- name: CONSUL_HTTP_ADDR
  value: http://$(HOST_IP):8500
{{- end }}
{{- end -}}

{{/* Init containers of a control-plane pod: the auto-encrypt CA fetch and the ACL login.
     Argument: (list $ "component-name" "logLevel"). */}}
{{- define "consul.controlPlaneInit" -}}
{{- $root := index . 0 -}}
{{- $component := index . 1 -}}
{{- $logLevel := index . 2 -}}
{{- with $root }}
{{- if and .Values.global.tls.enabled .Values.global.tls.enableAutoEncrypt }}
- name: get-auto-encrypt-client-ca
  image: {{ .Values.global.imageK8S | quote }}
  command:
    - "/bin/sh"
    - "-ec"
    - |
      consul-k8s-control-plane get-consul-client-ca \
        -output-file=/consul/tls/client/ca/tls.crt \
        -consul-api-timeout={{ .Values.global.consulAPITimeout }} \
        -server-addr={{ template "consul.fullname" . }}-server \
        -server-port=8501 \
        -ca-file=/consul/tls/ca/tls.crt
  volumeMounts:
    - name: consul-ca-cert
      mountPath: /consul/tls/ca
    - name: consul-auto-encrypt-ca-cert
      mountPath: /consul/tls/client/ca
  resources:
    requests:
      cpu: 50m
      memory: 50Mi
    limits:
      cpu: 50m
      memory: 50Mi
{{- end }}
{{- if .Values.global.acls.manageSystemACLs }}
- name: {{ $component }}-acl-init
  image: {{ .Values.global.imageK8S | quote }}
  env:
    - name: NAMESPACE
      valueFrom:
        fieldRef:
          fieldPath: metadata.namespace
    {{- include "consul.agentEnv" . | nindent 4 }}
  command:
    - "/bin/sh"
    - "-ec"
    - |
      consul-k8s-control-plane acl-init \
        -component-name={{ $component }} \
        -acl-auth-method={{ template "consul.fullname" . }}-k8s-component-auth-method \
        {{- if .Values.global.adminPartitions.enabled }}
        -partition={{ .Values.global.adminPartitions.name }} \
        {{- end }}
        -consul-api-timeout={{ .Values.global.consulAPITimeout }} \
        -log-level={{ $logLevel }} \
        -log-json={{ .Values.global.logJSON }}
  volumeMounts:
    - name: consul-data
      mountPath: /consul/login
    {{- if .Values.global.tls.enabled }}
    - name: consul-ca-cert
      mountPath: /consul/tls/ca
      readOnly: true
    {{- if .Values.global.tls.enableAutoEncrypt }}
    - name: consul-auto-encrypt-ca-cert
      mountPath: /consul/tls/client/ca
      readOnly: true
    {{- end }}
    {{- end }}
  resources:
    requests:
      cpu: 50m
      memory: 25Mi
    limits:
      cpu: 50m
      memory: 25Mi
{{- end }}
{{- end }}
{{- end -}}

{{/* Volumes for the agent CA (TLS) next to a component's own volumes. */}}
{{- define "consul.tlsVolumes" -}}
{{- if .Values.global.tls.enabled }}
- name: consul-ca-cert
  secret:
    {{- if .Values.global.tls.caCert.secretName }}
    secretName: {{ .Values.global.tls.caCert.secretName }}
    {{- else }}
    secretName: {{ template "consul.fullname" . }}-ca-cert
    {{- end }}
    items:
      - key: {{ default "tls.crt" .Values.global.tls.caCert.secretKey }}
        path: tls.crt
{{- if .Values.global.tls.enableAutoEncrypt }}
- name: consul-auto-encrypt-ca-cert
  emptyDir:
    medium: "Memory"
{{- end }}
{{- end }}
{{- end -}}

{{- define "consul.tlsVolumeMounts" -}}
{{- if .Values.global.tls.enabled }}
- name: consul-ca-cert
  mountPath: /consul/tls/ca
  readOnly: true
{{- if .Values.global.tls.enableAutoEncrypt }}
- name: consul-auto-encrypt-ca-cert
  mountPath: /consul/tls/client/ca
  readOnly: true
{{- end }}
{{- end }}
{{- end -}}

{{/* Pod placement from the YAML-in-a-string values (run through tpl, as the chart does).
     Argument: (list $ .Values.<component>). */}}
{{- define "consul.placement" -}}
{{- $root := index . 0 -}}
{{- $v := index . 1 -}}
{{- if $v.priorityClassName }}
priorityClassName: {{ $v.priorityClassName | quote }}
{{- end }}
{{- if $v.nodeSelector }}
nodeSelector:
  {{- tpl $v.nodeSelector $root | trim | nindent 2 }}
{{- end }}
{{- if $v.affinity }}
affinity:
  {{- tpl $v.affinity $root | trim | nindent 2 }}
{{- end }}
{{- if $v.tolerations }}
tolerations:
  {{- tpl $v.tolerations $root | trim | nindent 2 }}
{{- end }}
{{- end -}}

{{/* A webhook serving certificate: reuses the Secret already in the cluster, else a new CA and
     certificate for the Service's DNS names. Argument: (list $ serviceName secretName).
     Output: YAML with crt, key and ca, base64-encoded. */}}
{{- define "consul.webhookCert" -}}
{{- $root := index . 0 -}}
{{- $svc := index . 1 -}}
{{- $secretName := index . 2 -}}
{{- $ns := $root.Release.Namespace -}}
{{- $existing := lookup "v1" "Secret" $ns $secretName | default dict -}}
{{- $data := get $existing "data" | default dict -}}
{{- if and (hasKey $data "ca.crt") (hasKey $data "tls.crt") (hasKey $data "tls.key") -}}
crt: {{ index $data "tls.crt" }}
key: {{ index $data "tls.key" }}
ca: {{ index $data "ca.crt" }}
{{- else -}}
{{- /* ECDSA P-256: key generation is instant, where RSA 2048 can take seconds. */ -}}
{{- $ca := genCAWithKey (printf "%s-ca" $svc) 3650 (genPrivateKey "ecdsa") -}}
{{- $hosts := list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) -}}
{{- $cert := genSignedCertWithKey (printf "%s.%s.svc" $svc $ns) nil $hosts 3650 $ca (genPrivateKey "ecdsa") -}}
crt: {{ $cert.Cert | b64enc }}
key: {{ $cert.Key | b64enc }}
ca: {{ $ca.Cert | b64enc }}
{{- end -}}
{{- end -}}

{{/* The injector settings for the consul-inject post-renderer: the values that change injection,
     with the resource prefix pinned in global.name so the post-renderer derives the same names. */}}
{{- define "consul.injectSettings" -}}
{{- $global := deepCopy .Values.global -}}
{{- if not (or .Values.fullnameOverride .Values.global.name) -}}
{{- $_ := set $global "name" (include "consul.fullname" .) -}}
{{- end -}}
{{- $dns := dict "enabled" .Values.dns.enabled "enableRedirection" .Values.dns.enableRedirection -}}
{{- $out := dict "global" $global "connectInject" .Values.connectInject "consulInject" .Values.consulInject "dns" $dns -}}
{{- with .Values.nameOverride }}{{ $_ := set $out "nameOverride" . }}{{ end -}}
{{- with .Values.fullnameOverride }}{{ $_ := set $out "fullnameOverride" . }}{{ end -}}
{{- toYaml $out -}}
{{- end -}}
