{{/* The chart name, or nameOverride; at most 63 characters. */}}
{{- define "event-pipeline.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* `<release>-<chart>` (the release alone when it already contains the chart name), or fullnameOverride; at most 63 characters. */}}
{{- define "event-pipeline.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A component's name: the fullname (shortened so the whole fits in 63) plus `-<suffix>`. Call with (list $ "suffix"). */}}
{{- define "event-pipeline.componentName" -}}
{{- $root := index . 0 -}}
{{- $suffix := index . 1 -}}
{{- $base := include "event-pipeline.fullname" $root | trunc (int (sub 62 (len $suffix))) | trimSuffix "-" -}}
{{- printf "%s-%s" $base $suffix -}}
{{- end -}}

{{- define "event-pipeline.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels every resource carries, besides its own name/instance/component. */}}
{{- define "event-pipeline.baseLabels" -}}
helm.sh/chart: {{ include "event-pipeline.chart" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: event-pipeline
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Labels of resources that belong to the release as a whole (the CRDs). */}}
{{- define "event-pipeline.labels" -}}
{{ include "event-pipeline.baseLabels" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selector labels of the operator pods. */}}
{{- define "event-pipeline.selectorLabels" -}}
app.kubernetes.io/name: {{ include "event-pipeline.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{/* Labels of the operator's own resources. */}}
{{- define "event-pipeline.operatorLabels" -}}
{{ include "event-pipeline.baseLabels" . }}
{{ include "event-pipeline.selectorLabels" . }}
{{- end -}}

{{- define "event-pipeline.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "event-pipeline.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "event-pipeline.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "event-pipeline.leaseName" -}}
{{- default (include "event-pipeline.componentName" (list . "leader")) .Values.leaderElection.leaseName -}}
{{- end -}}

{{- define "event-pipeline.metricsApiServiceName" -}}
{{- include "event-pipeline.componentName" (list . "metrics-api") -}}
{{- end -}}

{{/* The Secret holding the metrics API's serving certificate (tls.crt, tls.key, ca.crt). */}}
{{- define "event-pipeline.metricsApiTlsSecretName" -}}
{{- if eq .Values.metricsApi.tls.source "secret" -}}
{{- required "metricsApi.tls.existingSecret is required with metricsApi.tls.source=secret" .Values.metricsApi.tls.existingSecret -}}
{{- else -}}
{{- include "event-pipeline.componentName" (list . "metrics-api-tls") -}}
{{- end -}}
{{- end -}}

{{/*
The generated serving certificate (a dict of PEM ca, cert, key, as JSON). Made once per render and
remembered in the root context, so the Secret, the APIService's caBundle and the pods' checksum
all see the same one. On upgrade the existing Secret is reused (lookup), so the certificate and
the operator pods only change when that Secret is gone.
*/}}
{{- define "event-pipeline.generatedTls" -}}
{{- if not (hasKey $ "eventPipelineGeneratedTls") -}}
{{- $secretName := include "event-pipeline.metricsApiTlsSecretName" $ -}}
{{- $existing := lookup "v1" "Secret" $.Release.Namespace $secretName -}}
{{- $tls := dict -}}
{{- if and $existing $existing.data (index $existing.data "ca.crt") (index $existing.data "tls.crt") (index $existing.data "tls.key") -}}
{{- $tls = dict "ca" (index $existing.data "ca.crt" | b64dec) "cert" (index $existing.data "tls.crt" | b64dec) "key" (index $existing.data "tls.key" | b64dec) -}}
{{- else -}}
{{- $service := include "event-pipeline.metricsApiServiceName" $ -}}
{{- $ns := $.Release.Namespace -}}
{{- $dns := list $service (printf "%s.%s" $service $ns) (printf "%s.%s.svc" $service $ns) (printf "%s.%s.svc.cluster.local" $service $ns) -}}
{{- $days := int $.Values.metricsApi.tls.validityDays -}}
{{- $ca := genCA (printf "%s-ca" $service) $days -}}
{{- $cert := genSignedCert (printf "%s.%s.svc" $service $ns) nil $dns $days $ca -}}
{{- $tls = dict "ca" $ca.Cert "cert" $cert.Cert "key" $cert.Key -}}
{{- end -}}
{{- $_ := set $ "eventPipelineGeneratedTls" $tls -}}
{{- end -}}
{{- index $ "eventPipelineGeneratedTls" | toJson -}}
{{- end -}}

{{/* The base64 CA bundle the APIService trusts; empty with cert-manager (its CA injector fills it). */}}
{{- define "event-pipeline.metricsApiCaBundle" -}}
{{- if eq .Values.metricsApi.tls.source "generated" -}}
{{- (include "event-pipeline.generatedTls" . | fromJson).ca | b64enc -}}
{{- else if eq .Values.metricsApi.tls.source "secret" -}}
{{- required "metricsApi.tls.caBundle is required with metricsApi.tls.source=secret" .Values.metricsApi.tls.caBundle -}}
{{- end -}}
{{- end -}}
