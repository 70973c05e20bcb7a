{{/* WVA's name label: the llm-d guide checks the install with
     kubectl get pods -l app.kubernetes.io/name=workload-variant-autoscaler. */}}
{{- define "saturn.name" -}}{{ .Values.nameOverride | default "workload-variant-autoscaler" | trunc 63 | trimSuffix "-" }}{{- end -}}

{{- define "saturn.fullname" -}}
{{- if contains "saturn" .Release.Name -}}{{ .Release.Name | trunc 50 | trimSuffix "-" }}{{- else -}}{{ printf "%s-saturn" .Release.Name | trunc 50 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "saturn.labels" -}}
app.kubernetes.io/name: {{ include "saturn.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "saturn.selectorLabels" -}}
app.kubernetes.io/name: {{ include "saturn.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "saturn.image" -}}
{{ .Values.wva.image.repository }}:{{ .Values.wva.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "saturn.scaleTarget" -}}
{{- .Values.llmd.scaleTargetName | default .Values.llmd.deploymentName | default (printf "%s-decode" .Values.llmd.modelName) -}}
{{- end -}}
