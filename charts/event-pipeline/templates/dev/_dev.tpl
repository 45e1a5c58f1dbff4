{{/* Labels of a development dependency; call with (list $ "kafka"). */}}
{{- define "event-pipeline.devLabels" -}}
{{- $root := index . 0 -}}
{{ include "event-pipeline.baseLabels" $root }}
{{ include "event-pipeline.devSelectorLabels" . }}
{{- end -}}

{{- define "event-pipeline.devSelectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ index . 1 }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: dev-dependency
{{- end -}}

{{/* The restricted container security context, with a writable root only where the image needs it. */}}
{{- define "event-pipeline.devSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: {{ . }}
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}
