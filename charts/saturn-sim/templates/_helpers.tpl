{{/* Chart name. */}}
{{- define "saturn-sim.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-scoped name. */}}
{{- define "saturn-sim.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* llm-d.ai/model label value: a valid label value. */}}
{{- define "saturn-sim.modelLabel" -}}
{{- $v := .Values.model.label | default (include "saturn-sim.fullname" .) -}}
{{- regexReplaceAll "[^A-Za-z0-9_.-]" $v "-" | trunc 63 | trimAll "-_." -}}
{{- end -}}

{{/* Labels selecting the pods: llm-d's model service labels. */}}
{{- define "saturn-sim.selectorLabels" -}}
app.kubernetes.io/name: {{ include "saturn-sim.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
llm-d.ai/inferenceServing: "true"
llm-d.ai/model: {{ include "saturn-sim.modelLabel" . | quote }}
llm-d.ai/role: {{ .Values.role | quote }}
{{- end -}}

{{/* All labels. */}}
{{- define "saturn-sim.labels" -}}
{{ include "saturn-sim.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: model-server
inference.optimization/acceleratorName: {{ .Values.accelerator | quote }}
{{- end -}}
