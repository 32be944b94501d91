{{- /*
The few cross-cutting helpers this chart needs, in place of Deckhouse's helm_lib (not available
outside Deckhouse's own tree). Templates stay dumb: anything computed (selector unions, resolved
communities, peer validity) is done by a hook into metallb.internal.* and rendered as is.
*/ -}}

{{- /* metallb.namespace: the module's namespace, d8-<chart name>. */ -}}
{{- define "metallb.namespace" -}}
d8-{{ .Chart.Name }}
{{- end -}}

{{- /*
metallb.labels: the labels every object of the module carries, plus the given extra ones.
Usage: include "metallb.labels" (list . (dict "app" "metallb-speaker"))
*/ -}}
{{- define "metallb.labels" -}}
{{- $ctx := index . 0 -}}
{{- $extra := dict -}}
{{- if gt (len .) 1 }}{{ $extra = index . 1 }}{{ end -}}
{{- $labels := merge (dict "heritage" "deckhouse" "module" $ctx.Chart.Name) $extra -}}
labels:
{{- toYaml $labels | nindent 2 }}
{{- end -}}

{{- /*
metallb.internal: metallb.internal.* with every list the templates read defaulted to empty,
as YAML (use with fromYaml). The hooks write these values; before their first run they may be
absent, and absent must render the same as empty.
*/ -}}
{{- define "metallb.internal" -}}
{{- $internal := (.Values.metallb | default dict).internal | default dict -}}
{{- $l2 := $internal.l2 | default dict -}}
{{- $bgp := $internal.bgp | default dict -}}
{{- $speaker := $internal.speaker | default dict -}}
{{- $membership := $internal.membership | default dict -}}
membership:
  key: {{ $membership.key | default "" | quote }}
  previousKey: {{ $membership.previousKey | default "" | quote }}
l2:
  classes: {{ $l2.classes | default list | toJson }}
bgp:
  peers: {{ $bgp.peers | default list | toJson }}
  pools: {{ $bgp.pools | default list | toJson }}
speaker:
  nodeSelectorTerms: {{ $speaker.nodeSelectorTerms | default list | toJson }}
{{- end -}}

{{- /*
metallb.speakerEnabled: "true" when the speaker has something to do on some node (the hooks put
one node selector term per class, plus the BGP speaker selector when BGP pools exist), else "".
*/ -}}
{{- define "metallb.speakerEnabled" -}}
{{- $internal := include "metallb.internal" . | fromYaml -}}
{{- if gt (len $internal.speaker.nodeSelectorTerms) 0 }}true{{ end -}}
{{- end -}}

{{- /*
metallb.moduleEnabled: "true" when the Deckhouse module of that name is enabled.
Usage: include "metallb.moduleEnabled" (list . "operator-prometheus-crd")
*/ -}}
{{- define "metallb.moduleEnabled" -}}
{{- $ctx := index . 0 -}}
{{- $global := $ctx.Values.global | default dict -}}
{{- if has (index . 1) ($global.enabledModules | default list) }}true{{ end -}}
{{- end -}}

{{- /*
metallb.image: the image reference of one of this module's images (images/<dir>, key in camelCase),
pinned by digest. Usage: include "metallb.image" (list . "speaker")
*/ -}}
{{- define "metallb.image" -}}
{{- $ctx := index . 0 -}}
{{- $name := index . 1 -}}
{{- $images := ($ctx.Values.global | default dict).modulesImages | default dict -}}
{{- $registry := required "global.modulesImages.registry.base is required" (($images.registry | default dict).base) -}}
{{- $digests := (($images.digests | default dict) | dig $ctx.Chart.Name dict) -}}
{{- $digest := required (printf "global.modulesImages.digests.%s.%s is required" $ctx.Chart.Name $name) (index $digests $name) -}}
{{- printf "%s@%s" $registry $digest -}}
{{- end -}}

{{- /*
metallb.commonImage: an image of Deckhouse's common module (kube-rbac-proxy).
Usage: include "metallb.commonImage" (list . "kubeRbacProxy")
*/ -}}
{{- define "metallb.commonImage" -}}
{{- $ctx := index . 0 -}}
{{- $name := index . 1 -}}
{{- $images := ($ctx.Values.global | default dict).modulesImages | default dict -}}
{{- $registry := required "global.modulesImages.registry.base is required" (($images.registry | default dict).base) -}}
{{- $digests := (($images.digests | default dict) | dig "common" dict) -}}
{{- $digest := required (printf "global.modulesImages.digests.common.%s is required" $name) (index $digests $name) -}}
{{- printf "%s@%s" $registry $digest -}}
{{- end -}}

{{- /*
metallb.kubeRbacProxy: the kube-rbac-proxy sidecar that serves the speaker's /metrics with
Kubernetes authn/authz on the node address (hostNetwork) while the speaker itself listens on
127.0.0.1 only. Prometheus must be allowed `get daemonsets/prometheus-metrics` on the DaemonSet
(templates/rbac-to-us.yaml).
Usage: include "metallb.kubeRbacProxy" (dict "ctx" . "listenPort" 4232 "upstream" "http://127.0.0.1:4231/metrics" "resource" "daemonsets" "name" "metallb-speaker")
*/ -}}
{{- define "metallb.kubeRbacProxy" -}}
- name: kube-rbac-proxy
  image: {{ include "metallb.commonImage" (list .ctx "kubeRbacProxy") }}
  args:
    - "--secure-listen-address=$(KUBE_RBAC_PROXY_LISTEN_ADDRESS):{{ .listenPort }}"
    - "--v=2"
    - "--logtostderr=true"
    - "--stale-cache-interval=1h30m"
    - "--livez-path=/livez"
  env:
    - name: KUBE_RBAC_PROXY_LISTEN_ADDRESS
      valueFrom:
        fieldRef:
          fieldPath: status.podIP
    - name: KUBE_RBAC_PROXY_CONFIG
      value: |
        upstreams:
        - upstream: {{ .upstream }}
          path: /metrics
          authorization:
            resourceAttributes:
              namespace: {{ include "metallb.namespace" .ctx }}
              apiGroup: apps
              apiVersion: v1
              resource: {{ .resource }}
              subresource: prometheus-metrics
              name: {{ .name }}
  ports:
    - name: https-metrics
      containerPort: {{ .listenPort }}
      protocol: TCP
  livenessProbe:
    httpGet:
      path: /livez
      port: {{ .listenPort }}
      scheme: HTTPS
  readinessProbe:
    httpGet:
      path: /livez
      port: {{ .listenPort }}
      scheme: HTTPS
  securityContext:
    {{- include "metallb.restrictedContainerSecurityContext" . | nindent 4 }}
  resources:
    requests:
      cpu: 10m
      memory: 20Mi
{{- end -}}

{{- /*
metallb.restrictedContainerSecurityContext: the securityContext of a container that needs no
privilege at all (Pod Security Standards "restricted").
*/ -}}
{{- define "metallb.restrictedContainerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 64535
runAsGroup: 64535
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- /*
metallb.speakerSecurityContext: the speaker container's securityContext.

Capabilities: everything dropped but NET_RAW, which libpcap (`cap`) needs for its AF_PACKET socket
(receive ARP/NDP, send replies and gratuitous ARP / unsolicited NA). Nothing else is needed:
promiscuous mode and multicast membership are requested on that packet socket
(PACKET_ADD_MEMBERSHIP, no NET_ADMIN); TCP_MD5SIG, IP_MINTTL, IP_TTL and IP_RECVTTL on its own
sockets need no capability, nor does SO_BINDTODEVICE since Linux 5.7 (before, NET_RAW, which it
has); BGP dials out, so no port below 1024 is bound (no NET_BIND_SERVICE); membership (4230),
HTTP (4231) and BFD ports are unprivileged. test/package/image-tree.net.test.ts checks both claims
with the image's own files: answers with NET_RAW only, none without it, socket options with none.

User: uid 0. Kubernetes has no ambient capabilities, so a non-root process gets CAP_NET_RAW only
from file capabilities on the node binary, and the kernel ignores file capabilities under
no_new_privs, i.e. with allowPrivilegeEscalation: false. Root with a bounding set of {NET_RAW},
no privilege escalation, a read-only root filesystem and only read-only config/secret mounts
holds less than non-root with file capabilities and escalation allowed.
*/ -}}
{{- define "metallb.speakerSecurityContext" -}}
privileged: false
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: false
runAsUser: 0
runAsGroup: 0
capabilities:
  drop: ["ALL"]
  add: ["NET_RAW"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}
