// Decodes the protobuf request bodies kubectl's typed clients send ("Use protobuf for core clients",
// client-go v0.32+): a 4-byte magic "k8s\0" followed by a runtime.Unknown envelope whose raw bytes
// hold the object's own message. The object comes out in the shape the apiserver's JSON codec gives
// the same Go struct, so the rest of the lab only ever sees JSON-shaped objects.
//
// Go clients (gogo-protobuf) put every non-pointer field on the wire, zero or not, and leave nil
// pointers out. The schemas therefore say, per field, whether presence on the wire is meaningful
// ("!": a pointer, or a field Go always emits) or whether a zero value stands for "unset" and is
// dropped the way `omitempty` drops it. Value structs (spec, resources, strategy, ...) that decode
// to nothing are dropped too; pointer structs such as `emptyDir: {}` are kept.
//
// Field numbers follow k8s.io/api/<group>/<version>/generated.proto and
// k8s.io/apimachinery/pkg/{apis/meta/v1,api/resource,util/intstr,runtime}/generated.proto.

const MAGIC = [0x6b, 0x38, 0x73, 0x00];

/** Raised when the envelope names a kind the lab has no protobuf schema for. */
export class K8sProtobufUnsupportedError extends Error {
  override name = 'K8sProtobufUnsupportedError';
}

export function isK8sProtobuf(buf: Uint8Array): boolean {
  return buf.length >= 4 && MAGIC.every((b, i) => buf[i] === b);
}

// ---------------------------------------------------------------------------------------------
// Schemas. One entry per message: "<field number> <json name>[:<type>][!][^]", comma separated.
//   type: s (default) string | b bool | i32 | i64 | bytes (base64 in JSON) | Time | MicroTime |
//         Q (resource.Quantity) | IOS (intstr.IntOrString) | Raw (runtime.RawExtension) |
//         Fields (metav1.FieldsV1) | <Message> | [T] repeated T ([] = strings) | {T} map string->T ({} = strings)
//   !  emit whenever present on the wire (pointer fields, and fields Go encodes without omitempty)
//   ^  inline: the message's fields are merged into the parent (Go embedded structs)
// ---------------------------------------------------------------------------------------------

const SCHEMAS: Record<string, string> = {
  // k8s.io/apimachinery/pkg/apis/meta/v1
  ObjectMeta:
    '1 name, 2 generateName, 3 namespace, 4 selfLink, 5 uid, 6 resourceVersion, 7 generation:i64, 8 creationTimestamp:Time, ' +
    '9 deletionTimestamp:Time!, 10 deletionGracePeriodSeconds:i64!, 11 labels:{}, 12 annotations:{}, ' +
    '13 ownerReferences:[OwnerReference], 14 finalizers:[], 17 managedFields:[ManagedFieldsEntry]',
  OwnerReference: '5 apiVersion!, 1 kind!, 3 name!, 4 uid!, 6 controller:b!, 7 blockOwnerDeletion:b!',
  ManagedFieldsEntry: '1 manager, 2 operation, 3 apiVersion, 4 time:Time, 6 fieldsType, 7 fieldsV1:Fields!, 8 subresource',
  LabelSelector: '1 matchLabels:{}, 2 matchExpressions:[LabelSelectorRequirement]',
  LabelSelectorRequirement: '1 key!, 2 operator!, 3 values:[]',
  Condition: '1 type!, 2 status!, 3 observedGeneration:i64, 4 lastTransitionTime:Time, 5 reason!, 6 message!',
  DeleteOptions:
    '1 gracePeriodSeconds:i64!, 2 preconditions:Preconditions!, 3 orphanDependents:b!, 4 propagationPolicy!, 5 dryRun:[], ' +
    '6 ignoreStoreReadErrorWithClusterBreakingPotential:b!',
  Preconditions: '1 uid!, 2 resourceVersion!',

  // k8s.io/api/core/v1
  Namespace: '1 metadata:ObjectMeta, 2 spec:NamespaceSpec, 3 status:NamespaceStatus',
  NamespaceSpec: '1 finalizers:[]',
  NamespaceStatus: '1 phase, 2 conditions:[NamespaceCondition]',
  NamespaceCondition: '1 type!, 2 status!, 4 lastTransitionTime:Time, 5 reason, 6 message',
  Pod: '1 metadata:ObjectMeta, 2 spec:PodSpec, 3 status:PodStatus',
  PodTemplateSpec: '1 metadata:ObjectMeta, 2 spec:PodSpec',
  PodSpec:
    '1 volumes:[Volume], 20 initContainers:[Container], 2 containers:[Container], 34 ephemeralContainers:[EphemeralContainer], ' +
    '3 restartPolicy, 4 terminationGracePeriodSeconds:i64!, 5 activeDeadlineSeconds:i64!, 6 dnsPolicy, 7 nodeSelector:{}, ' +
    '8 serviceAccountName, 9 serviceAccount, 21 automountServiceAccountToken:b!, 10 nodeName, 11 hostNetwork:b, 12 hostPID:b, ' +
    '13 hostIPC:b, 27 shareProcessNamespace:b!, 14 securityContext:PodSecurityContext!, 15 imagePullSecrets:[LocalObjectReference], ' +
    '16 hostname, 17 subdomain, 18 affinity:Affinity!, 19 schedulerName, 22 tolerations:[Toleration], 23 hostAliases:[HostAlias], ' +
    '24 priorityClassName, 25 priority:i32!, 26 dnsConfig:PodDNSConfig!, 28 readinessGates:[PodReadinessGate], 29 runtimeClassName!, ' +
    '30 enableServiceLinks:b!, 31 preemptionPolicy!, 32 overhead:{Q}, 33 topologySpreadConstraints:[TopologySpreadConstraint], ' +
    '35 setHostnameAsFQDN:b!, 36 os:PodOS!, 37 hostUsers:b!, 38 schedulingGates:[PodSchedulingGate], ' +
    '39 resourceClaims:[PodResourceClaim], 40 resources:ResourceRequirements!, 41 hostnameOverride!',
  PodStatus:
    '17 observedGeneration:i64, 1 phase, 2 conditions:[PodCondition], 3 message, 4 reason, 11 nominatedNodeName, 5 hostIP, ' +
    '16 hostIPs:[PodIP], 6 podIP, 12 podIPs:[PodIP], 7 startTime:Time!, 10 initContainerStatuses:[ContainerStatus], ' +
    '8 containerStatuses:[ContainerStatus], 9 qosClass, 13 ephemeralContainerStatuses:[ContainerStatus]',
  PodCondition: '1 type!, 2 status!, 7 observedGeneration:i64, 3 lastProbeTime:Time, 4 lastTransitionTime:Time, 5 reason, 6 message',
  PodIP: '1 ip',
  ContainerStatus:
    '1 name!, 2 state:ContainerState, 3 lastState:ContainerState, 4 ready:b!, 5 restartCount:i32!, 6 image!, 7 imageID!, ' +
    '8 containerID, 9 started:b!',
  ContainerState: '1 waiting:ContainerStateWaiting!, 2 running:ContainerStateRunning!, 3 terminated:ContainerStateTerminated!',
  ContainerStateWaiting: '1 reason, 2 message',
  ContainerStateRunning: '1 startedAt:Time',
  ContainerStateTerminated: '1 exitCode:i32!, 2 signal:i32, 3 reason, 4 message, 5 startedAt:Time, 6 finishedAt:Time, 7 containerID',
  Container:
    '1 name!, 2 image, 3 command:[], 4 args:[], 5 workingDir, 6 ports:[ContainerPort], 19 envFrom:[EnvFromSource], 7 env:[EnvVar], ' +
    '8 resources:ResourceRequirements, 23 resizePolicy:[ContainerResizePolicy], 24 restartPolicy!, 9 volumeMounts:[VolumeMount], ' +
    '21 volumeDevices:[VolumeDevice], 10 livenessProbe:Probe!, 11 readinessProbe:Probe!, 22 startupProbe:Probe!, ' +
    '12 lifecycle:Lifecycle!, 13 terminationMessagePath, 20 terminationMessagePolicy, 14 imagePullPolicy, ' +
    '15 securityContext:SecurityContext!, 16 stdin:b, 17 stdinOnce:b, 18 tty:b',
  // EphemeralContainerCommon carries the same field numbers as Container.
  EphemeralContainer: '1 ephemeralContainerCommon:Container^, 2 targetContainerName',
  ContainerPort: '1 name, 2 hostPort:i32, 3 containerPort:i32!, 4 protocol, 5 hostIP',
  ContainerResizePolicy: '1 resourceName!, 2 restartPolicy!',
  EnvFromSource: '1 prefix, 2 configMapRef:ConfigMapEnvSource!, 3 secretRef:SecretEnvSource!',
  ConfigMapEnvSource: '1 localObjectReference:LocalObjectReference^, 2 optional:b!',
  SecretEnvSource: '1 localObjectReference:LocalObjectReference^, 2 optional:b!',
  EnvVar: '1 name!, 2 value, 3 valueFrom:EnvVarSource!',
  EnvVarSource:
    '1 fieldRef:ObjectFieldSelector!, 2 resourceFieldRef:ResourceFieldSelector!, 3 configMapKeyRef:ConfigMapKeySelector!, ' +
    '4 secretKeyRef:SecretKeySelector!',
  ObjectFieldSelector: '1 apiVersion, 2 fieldPath!',
  ResourceFieldSelector: '1 containerName, 2 resource!, 3 divisor:Q',
  ConfigMapKeySelector: '1 localObjectReference:LocalObjectReference^, 2 key!, 3 optional:b!',
  SecretKeySelector: '1 localObjectReference:LocalObjectReference^, 2 key!, 3 optional:b!',
  LocalObjectReference: '1 name',
  ObjectReference: '1 kind, 2 namespace, 3 name, 4 uid, 5 apiVersion, 6 resourceVersion, 7 fieldPath',
  TypedLocalObjectReference: '1 apiGroup!, 2 kind!, 3 name!',
  TypedObjectReference: '1 apiGroup!, 2 kind!, 3 name!, 4 namespace!',
  ResourceRequirements: '1 limits:{Q}, 2 requests:{Q}, 3 claims:[ResourceClaim]',
  VolumeResourceRequirements: '1 limits:{Q}, 2 requests:{Q}',
  ResourceClaim: '1 name!, 2 request',
  VolumeMount: '1 name!, 2 readOnly:b, 7 recursiveReadOnly!, 3 mountPath!, 4 subPath, 5 mountPropagation!, 6 subPathExpr',
  VolumeDevice: '1 name!, 2 devicePath!',
  Probe:
    '1 handler:ProbeHandler^, 2 initialDelaySeconds:i32, 3 timeoutSeconds:i32, 4 periodSeconds:i32, 5 successThreshold:i32, ' +
    '6 failureThreshold:i32, 7 terminationGracePeriodSeconds:i64!',
  ProbeHandler: '1 exec:ExecAction!, 2 httpGet:HTTPGetAction!, 3 tcpSocket:TCPSocketAction!, 4 grpc:GRPCAction!',
  Lifecycle: '1 postStart:LifecycleHandler!, 2 preStop:LifecycleHandler!, 3 stopSignal!',
  LifecycleHandler: '1 exec:ExecAction!, 2 httpGet:HTTPGetAction!, 3 tcpSocket:TCPSocketAction!, 4 sleep:SleepAction!',
  ExecAction: '1 command:[]',
  HTTPGetAction: '1 path, 2 port:IOS!, 3 host, 4 scheme, 5 httpHeaders:[HTTPHeader]',
  HTTPHeader: '1 name!, 2 value!',
  TCPSocketAction: '1 port:IOS!, 2 host',
  GRPCAction: '1 port:i32!, 2 service!',
  SleepAction: '1 seconds:i64!',
  SecurityContext:
    '1 capabilities:Capabilities!, 2 privileged:b!, 3 seLinuxOptions:SELinuxOptions!, 10 windowsOptions:WindowsSecurityContextOptions!, ' +
    '4 runAsUser:i64!, 8 runAsGroup:i64!, 5 runAsNonRoot:b!, 6 readOnlyRootFilesystem:b!, 7 allowPrivilegeEscalation:b!, ' +
    '9 procMount!, 11 seccompProfile:SeccompProfile!, 12 appArmorProfile:AppArmorProfile!',
  PodSecurityContext:
    '1 seLinuxOptions:SELinuxOptions!, 8 windowsOptions:WindowsSecurityContextOptions!, 2 runAsUser:i64!, 6 runAsGroup:i64!, ' +
    '3 runAsNonRoot:b!, 4 supplementalGroups:[i64], 12 supplementalGroupsPolicy!, 5 fsGroup:i64!, 7 sysctls:[Sysctl], ' +
    '9 fsGroupChangePolicy!, 10 seccompProfile:SeccompProfile!, 11 appArmorProfile:AppArmorProfile!, 13 seLinuxChangePolicy!',
  Capabilities: '1 add:[], 2 drop:[]',
  SELinuxOptions: '1 user, 2 role, 3 type, 4 level',
  WindowsSecurityContextOptions: '1 gmsaCredentialSpecName!, 2 gmsaCredentialSpec!, 3 runAsUserName!, 4 hostProcess:b!',
  SeccompProfile: '1 type!, 2 localhostProfile!',
  AppArmorProfile: '1 type!, 2 localhostProfile!',
  Sysctl: '1 name!, 2 value!',
  Volume: '1 name!, 2 volumeSource:VolumeSource^',
  VolumeSource:
    '1 hostPath:HostPathVolumeSource!, 2 emptyDir:EmptyDirVolumeSource!, 6 secret:SecretVolumeSource!, 7 nfs:NFSVolumeSource!, ' +
    '10 persistentVolumeClaim:PersistentVolumeClaimVolumeSource!, 16 downwardAPI:DownwardAPIVolumeSource!, ' +
    '19 configMap:ConfigMapVolumeSource!, 26 projected:ProjectedVolumeSource!, 28 csi:CSIVolumeSource!, ' +
    '29 ephemeral:EphemeralVolumeSource!, 30 image:ImageVolumeSource!',
  HostPathVolumeSource: '1 path!, 2 type!',
  EmptyDirVolumeSource: '1 medium, 2 sizeLimit:Q!',
  SecretVolumeSource: '1 secretName, 2 items:[KeyToPath], 3 defaultMode:i32!, 4 optional:b!',
  ConfigMapVolumeSource: '1 localObjectReference:LocalObjectReference^, 2 items:[KeyToPath], 3 defaultMode:i32!, 4 optional:b!',
  KeyToPath: '1 key!, 2 path!, 3 mode:i32!',
  NFSVolumeSource: '1 server!, 2 path!, 3 readOnly:b',
  PersistentVolumeClaimVolumeSource: '1 claimName!, 2 readOnly:b',
  DownwardAPIVolumeSource: '1 items:[DownwardAPIVolumeFile], 2 defaultMode:i32!',
  DownwardAPIVolumeFile: '1 path!, 2 fieldRef:ObjectFieldSelector!, 3 resourceFieldRef:ResourceFieldSelector!, 4 mode:i32!',
  DownwardAPIProjection: '1 items:[DownwardAPIVolumeFile]',
  ProjectedVolumeSource: '1 sources:[VolumeProjection], 2 defaultMode:i32!',
  VolumeProjection:
    '1 secret:SecretProjection!, 2 downwardAPI:DownwardAPIProjection!, 3 configMap:ConfigMapProjection!, ' +
    '4 serviceAccountToken:ServiceAccountTokenProjection!, 5 clusterTrustBundle:ClusterTrustBundleProjection!',
  SecretProjection: '1 localObjectReference:LocalObjectReference^, 2 items:[KeyToPath], 4 optional:b!',
  ConfigMapProjection: '1 localObjectReference:LocalObjectReference^, 2 items:[KeyToPath], 4 optional:b!',
  ServiceAccountTokenProjection: '1 audience, 2 expirationSeconds:i64!, 3 path!',
  ClusterTrustBundleProjection: '1 name!, 2 signerName!, 3 labelSelector:LabelSelector!, 5 optional:b!, 4 path!',
  CSIVolumeSource: '1 driver!, 2 readOnly:b!, 3 fsType!, 4 volumeAttributes:{}, 5 nodePublishSecretRef:LocalObjectReference!',
  EphemeralVolumeSource: '1 volumeClaimTemplate:PersistentVolumeClaimTemplate!',
  ImageVolumeSource: '1 reference, 2 pullPolicy',
  PersistentVolumeClaimTemplate: '1 metadata:ObjectMeta, 2 spec:PersistentVolumeClaimSpec',
  PersistentVolumeClaim: '1 metadata:ObjectMeta, 2 spec:PersistentVolumeClaimSpec',
  PersistentVolumeClaimSpec:
    '1 accessModes:[], 4 selector:LabelSelector!, 2 resources:VolumeResourceRequirements, 3 volumeName, 5 storageClassName!, ' +
    '6 volumeMode!, 7 dataSource:TypedLocalObjectReference!, 8 dataSourceRef:TypedObjectReference!, 9 volumeAttributesClassName!',
  Toleration: '1 key, 2 operator, 3 value, 4 effect, 5 tolerationSeconds:i64!',
  HostAlias: '1 ip, 2 hostnames:[]',
  PodDNSConfig: '1 nameservers:[], 2 searches:[], 3 options:[PodDNSConfigOption]',
  PodDNSConfigOption: '1 name, 2 value!',
  PodReadinessGate: '1 conditionType!',
  PodOS: '1 name!',
  PodSchedulingGate: '1 name!',
  PodResourceClaim: '1 name!, 3 resourceClaimName!, 4 resourceClaimTemplateName!',
  Affinity: '1 nodeAffinity:NodeAffinity!, 2 podAffinity:PodAffinity!, 3 podAntiAffinity:PodAntiAffinity!',
  NodeAffinity:
    '1 requiredDuringSchedulingIgnoredDuringExecution:NodeSelector!, ' +
    '2 preferredDuringSchedulingIgnoredDuringExecution:[PreferredSchedulingTerm]',
  NodeSelector: '1 nodeSelectorTerms:[NodeSelectorTerm]',
  NodeSelectorTerm: '1 matchExpressions:[NodeSelectorRequirement], 2 matchFields:[NodeSelectorRequirement]',
  NodeSelectorRequirement: '1 key!, 2 operator!, 3 values:[]',
  PreferredSchedulingTerm: '1 weight:i32!, 2 preference:NodeSelectorTerm!',
  PodAffinity:
    '1 requiredDuringSchedulingIgnoredDuringExecution:[PodAffinityTerm], ' +
    '2 preferredDuringSchedulingIgnoredDuringExecution:[WeightedPodAffinityTerm]',
  PodAntiAffinity:
    '1 requiredDuringSchedulingIgnoredDuringExecution:[PodAffinityTerm], ' +
    '2 preferredDuringSchedulingIgnoredDuringExecution:[WeightedPodAffinityTerm]',
  PodAffinityTerm:
    '1 labelSelector:LabelSelector!, 2 namespaces:[], 3 topologyKey!, 4 namespaceSelector:LabelSelector!, 5 matchLabelKeys:[], ' +
    '6 mismatchLabelKeys:[]',
  WeightedPodAffinityTerm: '1 weight:i32!, 2 podAffinityTerm:PodAffinityTerm!',
  TopologySpreadConstraint:
    '1 maxSkew:i32!, 2 topologyKey!, 3 whenUnsatisfiable!, 4 labelSelector:LabelSelector!, 5 minDomains:i32!, ' +
    '6 nodeAffinityPolicy!, 7 nodeTaintsPolicy!, 8 matchLabelKeys:[]',
  Service: '1 metadata:ObjectMeta, 2 spec:ServiceSpec, 3 status:ServiceStatus',
  ServiceSpec:
    '1 ports:[ServicePort], 2 selector:{}, 3 clusterIP, 18 clusterIPs:[], 4 type, 5 externalIPs:[], 7 sessionAffinity, ' +
    '8 loadBalancerIP, 9 loadBalancerSourceRanges:[], 10 externalName, 11 externalTrafficPolicy, 12 healthCheckNodePort:i32, ' +
    '13 publishNotReadyAddresses:b, 14 sessionAffinityConfig:SessionAffinityConfig!, 19 ipFamilies:[], 17 ipFamilyPolicy!, ' +
    '20 allocateLoadBalancerNodePorts:b!, 21 loadBalancerClass!, 22 internalTrafficPolicy!, 23 trafficDistribution!',
  ServicePort: '1 name, 2 protocol, 6 appProtocol!, 3 port:i32!, 4 targetPort:IOS, 5 nodePort:i32',
  SessionAffinityConfig: '1 clientIP:ClientIPConfig!',
  ClientIPConfig: '1 timeoutSeconds:i32!',
  ServiceStatus: '1 loadBalancer:LoadBalancerStatus, 2 conditions:[Condition]',
  LoadBalancerStatus: '1 ingress:[LoadBalancerIngress]',
  LoadBalancerIngress: '1 ip, 2 hostname, 3 ipMode!, 4 ports:[PortStatus]',
  PortStatus: '1 port:i32!, 2 protocol!, 3 error!',
  ConfigMap: '1 metadata:ObjectMeta, 4 immutable:b!, 2 data:{}, 3 binaryData:{bytes}',
  Secret: '1 metadata:ObjectMeta, 5 immutable:b!, 2 data:{bytes}, 4 stringData:{}, 3 type',
  ServiceAccount:
    '1 metadata:ObjectMeta, 2 secrets:[ObjectReference], 3 imagePullSecrets:[LocalObjectReference], 4 automountServiceAccountToken:b!',
  ResourceQuota: '1 metadata:ObjectMeta, 2 spec:ResourceQuotaSpec, 3 status:ResourceQuotaStatus',
  ResourceQuotaSpec: '1 hard:{Q}, 2 scopes:[], 3 scopeSelector:ScopeSelector!',
  ResourceQuotaStatus: '1 hard:{Q}, 2 used:{Q}',
  ScopeSelector: '1 matchExpressions:[ScopedResourceSelectorRequirement]',
  ScopedResourceSelectorRequirement: '1 scopeName!, 2 operator!, 3 values:[]',
  ReplicationController: '1 metadata:ObjectMeta, 2 spec:ReplicationControllerSpec',
  ReplicationControllerSpec: '1 replicas:i32!, 4 minReadySeconds:i32, 2 selector:{}, 3 template:PodTemplateSpec!',
  Binding: '1 metadata:ObjectMeta, 2 target:ObjectReference!',

  // k8s.io/api/apps/v1
  Deployment: '1 metadata:ObjectMeta, 2 spec:DeploymentSpec, 3 status:DeploymentStatus',
  DeploymentSpec:
    '1 replicas:i32!, 2 selector:LabelSelector!, 3 template:PodTemplateSpec, 4 strategy:DeploymentStrategy, 5 minReadySeconds:i32, ' +
    '6 revisionHistoryLimit:i32!, 7 paused:b, 9 progressDeadlineSeconds:i32!, 10 podReplacementPolicy!',
  DeploymentStrategy: '1 type, 2 rollingUpdate:RollingUpdateDeployment!',
  RollingUpdateDeployment: '1 maxUnavailable:IOS!, 2 maxSurge:IOS!',
  DeploymentStatus:
    '1 observedGeneration:i64, 2 replicas:i32, 3 updatedReplicas:i32, 7 readyReplicas:i32, 4 availableReplicas:i32, ' +
    '5 unavailableReplicas:i32, 9 terminatingReplicas:i32!, 6 conditions:[DeploymentCondition], 8 collisionCount:i32!',
  DeploymentCondition: '1 type!, 2 status!, 6 lastUpdateTime:Time, 7 lastTransitionTime:Time, 4 reason, 5 message',
  ReplicaSet: '1 metadata:ObjectMeta, 2 spec:ReplicaSetSpec',
  ReplicaSetSpec: '1 replicas:i32!, 4 minReadySeconds:i32, 2 selector:LabelSelector!, 3 template:PodTemplateSpec',
  DaemonSet: '1 metadata:ObjectMeta, 2 spec:DaemonSetSpec',
  DaemonSetSpec:
    '1 selector:LabelSelector!, 2 template:PodTemplateSpec, 3 updateStrategy:DaemonSetUpdateStrategy, 4 minReadySeconds:i32, ' +
    '6 revisionHistoryLimit:i32!',
  DaemonSetUpdateStrategy: '1 type, 2 rollingUpdate:RollingUpdateDaemonSet!',
  RollingUpdateDaemonSet: '1 maxUnavailable:IOS!, 2 maxSurge:IOS!',
  StatefulSet: '1 metadata:ObjectMeta, 2 spec:StatefulSetSpec',
  StatefulSetSpec:
    '1 replicas:i32!, 2 selector:LabelSelector!, 3 template:PodTemplateSpec, 4 volumeClaimTemplates:[PersistentVolumeClaim], ' +
    '5 serviceName, 6 podManagementPolicy, 7 updateStrategy:StatefulSetUpdateStrategy, 8 revisionHistoryLimit:i32!, ' +
    '9 minReadySeconds:i32, 10 persistentVolumeClaimRetentionPolicy:StatefulSetPersistentVolumeClaimRetentionPolicy!, ' +
    '11 ordinals:StatefulSetOrdinals!',
  StatefulSetUpdateStrategy: '1 type, 2 rollingUpdate:RollingUpdateStatefulSetStrategy!',
  RollingUpdateStatefulSetStrategy: '1 partition:i32!, 2 maxUnavailable:IOS!',
  StatefulSetPersistentVolumeClaimRetentionPolicy: '1 whenDeleted, 2 whenScaled',
  StatefulSetOrdinals: '1 start:i32',

  // k8s.io/api/batch/v1
  Job: '1 metadata:ObjectMeta, 2 spec:JobSpec',
  JobSpec:
    '1 parallelism:i32!, 2 completions:i32!, 3 activeDeadlineSeconds:i64!, 11 podFailurePolicy:PodFailurePolicy!, ' +
    '16 successPolicy:SuccessPolicy!, 7 backoffLimit:i32!, 12 backoffLimitPerIndex:i32!, 13 maxFailedIndexes:i32!, ' +
    '4 selector:LabelSelector!, 5 manualSelector:b!, 6 template:PodTemplateSpec, 8 ttlSecondsAfterFinished:i32!, ' +
    '9 completionMode!, 10 suspend:b!, 14 podReplacementPolicy!, 15 managedBy!',
  PodFailurePolicy: '1 rules:[PodFailurePolicyRule]',
  PodFailurePolicyRule:
    '1 action!, 2 onExitCodes:PodFailurePolicyOnExitCodesRequirement!, 3 onPodConditions:[PodFailurePolicyOnPodConditionsPattern]',
  PodFailurePolicyOnExitCodesRequirement: '1 containerName!, 2 operator!, 3 values:[i32]',
  PodFailurePolicyOnPodConditionsPattern: '1 type!, 2 status!',
  SuccessPolicy: '1 rules:[SuccessPolicyRule]',
  SuccessPolicyRule: '1 succeededIndexes!, 2 succeededCount:i32!',
  CronJob: '1 metadata:ObjectMeta, 2 spec:CronJobSpec',
  CronJobSpec:
    '1 schedule!, 8 timeZone!, 2 startingDeadlineSeconds:i64!, 3 concurrencyPolicy, 4 suspend:b!, 5 jobTemplate:JobTemplateSpec, ' +
    '6 successfulJobsHistoryLimit:i32!, 7 failedJobsHistoryLimit:i32!',
  JobTemplateSpec: '1 metadata:ObjectMeta, 2 spec:JobSpec',

  // k8s.io/api/networking/v1
  Ingress: '1 metadata:ObjectMeta, 2 spec:IngressSpec, 3 status:IngressStatus',
  IngressSpec: '4 ingressClassName!, 1 defaultBackend:IngressBackend!, 2 tls:[IngressTLS], 3 rules:[IngressRule]',
  IngressBackend: '4 service:IngressServiceBackend!, 3 resource:TypedLocalObjectReference!',
  IngressServiceBackend: '1 name!, 2 port:ServiceBackendPort',
  ServiceBackendPort: '1 name, 2 number:i32',
  IngressTLS: '1 hosts:[], 2 secretName',
  IngressRule: '1 host, 2 ingressRuleValue:IngressRuleValue^',
  IngressRuleValue: '1 http:HTTPIngressRuleValue!',
  HTTPIngressRuleValue: '1 paths:[HTTPIngressPath]',
  HTTPIngressPath: '1 path, 3 pathType!, 2 backend:IngressBackend',
  IngressStatus: '1 loadBalancer:IngressLoadBalancerStatus',
  IngressLoadBalancerStatus: '1 ingress:[IngressLoadBalancerIngress]',
  IngressLoadBalancerIngress: '1 ip, 2 hostname, 4 ports:[PortStatus]',
  IngressClass: '1 metadata:ObjectMeta, 2 spec:IngressClassSpec',
  IngressClassSpec: '1 controller, 2 parameters:IngressClassParametersReference!',
  // the proto spells field 1 "aPIGroup"; its JSON name is apiGroup
  IngressClassParametersReference: '1 apiGroup!, 2 kind!, 3 name!, 4 scope!, 5 namespace!',
  NetworkPolicy: '1 metadata:ObjectMeta, 2 spec:NetworkPolicySpec',
  NetworkPolicySpec:
    '1 podSelector:LabelSelector!, 2 ingress:[NetworkPolicyIngressRule], 3 egress:[NetworkPolicyEgressRule], 4 policyTypes:[]',
  NetworkPolicyIngressRule: '1 ports:[NetworkPolicyPort], 2 from:[NetworkPolicyPeer]',
  NetworkPolicyEgressRule: '1 ports:[NetworkPolicyPort], 2 to:[NetworkPolicyPeer]',
  NetworkPolicyPort: '1 protocol!, 2 port:IOS!, 3 endPort:i32!',
  NetworkPolicyPeer: '1 podSelector:LabelSelector!, 2 namespaceSelector:LabelSelector!, 3 ipBlock:IPBlock!',
  IPBlock: '1 cidr!, 2 except:[]',

  // k8s.io/api/rbac/v1
  Role: '1 metadata:ObjectMeta, 2 rules:[PolicyRule]',
  ClusterRole: '1 metadata:ObjectMeta, 2 rules:[PolicyRule], 3 aggregationRule:AggregationRule!',
  RoleBinding: '1 metadata:ObjectMeta, 2 subjects:[Subject], 3 roleRef:RoleRef',
  ClusterRoleBinding: '1 metadata:ObjectMeta, 2 subjects:[Subject], 3 roleRef:RoleRef',
  PolicyRule: '1 verbs:[], 2 apiGroups:[], 3 resources:[], 4 resourceNames:[], 5 nonResourceURLs:[]',
  AggregationRule: '1 clusterRoleSelectors:[LabelSelector]',
  RoleRef: '1 apiGroup!, 2 kind!, 3 name!',
  Subject: '1 kind!, 2 apiGroup, 3 name!, 4 namespace',

  // k8s.io/api/policy/v1
  PodDisruptionBudget: '1 metadata:ObjectMeta, 2 spec:PodDisruptionBudgetSpec, 3 status:PodDisruptionBudgetStatus',
  PodDisruptionBudgetSpec: '1 minAvailable:IOS!, 2 selector:LabelSelector!, 3 maxUnavailable:IOS!, 4 unhealthyPodEvictionPolicy!',
  PodDisruptionBudgetStatus:
    '1 observedGeneration:i64, 2 disruptedPods:{Time}, 3 disruptionsAllowed:i32!, 4 currentHealthy:i32!, 5 desiredHealthy:i32!, ' +
    '6 expectedPods:i32!, 7 conditions:[Condition]',
  Eviction: '1 metadata:ObjectMeta, 2 deleteOptions:DeleteOptions!',

  // k8s.io/api/scheduling/v1
  PriorityClass: '1 metadata:ObjectMeta, 2 value:i32!, 3 globalDefault:b, 4 description, 5 preemptionPolicy!',

  // k8s.io/api/autoscaling/v1 (ScaleSpec.replicas is `omitempty` in Go; kept here so that a scale to 0 stays explicit)
  Scale: '1 metadata:ObjectMeta, 2 spec:ScaleSpec, 3 status:ScaleStatus',
  ScaleSpec: '1 replicas:i32!',
  ScaleStatus: '1 replicas:i32!, 2 selector',
  HorizontalPodAutoscaler: '1 metadata:ObjectMeta, 2 spec:HorizontalPodAutoscalerSpec',
  HorizontalPodAutoscalerSpec:
    '1 scaleTargetRef:CrossVersionObjectReference, 2 minReplicas:i32!, 3 maxReplicas:i32!, 4 targetCPUUtilizationPercentage:i32!',
  CrossVersionObjectReference: '1 kind!, 2 name!, 3 apiVersion',

  // k8s.io/api/authorization/v1
  SelfSubjectAccessReview: '1 metadata:ObjectMeta, 2 spec:SelfSubjectAccessReviewSpec, 3 status:SubjectAccessReviewStatus',
  SelfSubjectAccessReviewSpec: '1 resourceAttributes:ResourceAttributes!, 2 nonResourceAttributes:NonResourceAttributes!',
  ResourceAttributes:
    '1 namespace, 2 verb, 3 group, 4 version, 5 resource, 6 subresource, 7 name, 8 fieldSelector:FieldSelectorAttributes!, ' +
    '9 labelSelector:LabelSelectorAttributes!',
  FieldSelectorAttributes: '1 rawSelector, 2 requirements:[FieldSelectorRequirement]',
  FieldSelectorRequirement: '1 key!, 2 operator!, 3 values:[]',
  LabelSelectorAttributes: '1 rawSelector, 2 requirements:[LabelSelectorRequirement]',
  NonResourceAttributes: '1 path, 2 verb',
  SubjectAccessReviewStatus: '1 allowed:b!, 4 denied:b, 2 reason, 3 evaluationError',
  SelfSubjectRulesReview: '1 metadata:ObjectMeta, 2 spec:SelfSubjectRulesReviewSpec',
  SelfSubjectRulesReviewSpec: '1 namespace',

  // k8s.io/api/authentication/v1
  TokenRequest: '1 metadata:ObjectMeta, 2 spec:TokenRequestSpec',
  TokenRequestSpec: '1 audiences:[], 4 expirationSeconds:i64!, 3 boundObjectRef:BoundObjectReference!',
  BoundObjectReference: '1 kind, 2 apiVersion, 3 name, 4 uid',
  SelfSubjectReview: '1 metadata:ObjectMeta',
};

/** apiVersion -> kinds of that group version with a schema (the message name equals the kind). */
const KINDS: Record<string, string[]> = {
  v1: [
    'Namespace', 'Pod', 'Service', 'ConfigMap', 'Secret', 'ServiceAccount', 'ResourceQuota', 'ReplicationController', 'Binding',
    'PersistentVolumeClaim',
  ],
  'apps/v1': ['Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet'],
  'batch/v1': ['Job', 'CronJob'],
  'networking.k8s.io/v1': ['Ingress', 'IngressClass', 'NetworkPolicy'],
  'rbac.authorization.k8s.io/v1': ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'],
  'policy/v1': ['PodDisruptionBudget', 'Eviction'],
  'scheduling.k8s.io/v1': ['PriorityClass'],
  'autoscaling/v1': ['Scale', 'HorizontalPodAutoscaler'],
  'authorization.k8s.io/v1': ['SelfSubjectAccessReview', 'SelfSubjectRulesReview'],
  'authentication.k8s.io/v1': ['TokenRequest', 'SelfSubjectReview'],
};
/** Kinds registered in every group version (metav1 options types). */
const ANY_GROUP_KINDS = new Set(['DeleteOptions']);

// ---------------------------------------------------------------------------------------------
// Schema parsing
// ---------------------------------------------------------------------------------------------

const SPECIAL = new Set(['s', 'b', 'i32', 'i64', 'bytes', 'Time', 'MicroTime', 'Q', 'IOS', 'Raw', 'Fields']);

interface Field {
  no: number;
  name: string;
  /** element type: a SPECIAL scalar name or a message name */
  type: string;
  repeated: boolean;
  map: boolean;
  keep: boolean;
  inline: boolean;
}

interface Message {
  name: string;
  fields: Field[];
  byNo: Map<number, Field>;
}

const parsed = new Map<string, Message>();

function schema(name: string): Message {
  let m = parsed.get(name);
  if (m) return m;
  const src = SCHEMAS[name];
  if (src === undefined) throw new Error(`protobuf schema table has no message ${name}`);
  const fields: Field[] = [];
  for (const part of src.split(',')) {
    const spec = part.trim();
    const match = /^(\d+) ([A-Za-z0-9]+)(?::([^!^]+))?([!^]*)$/.exec(spec);
    if (!match) throw new Error(`bad protobuf schema entry for ${name}: "${spec}"`);
    let type = match[3] ?? 's';
    let repeated = false;
    let map = false;
    if (type.startsWith('[')) {
      repeated = true;
      type = type.slice(1, -1) || 's';
    } else if (type.startsWith('{')) {
      map = true;
      type = type.slice(1, -1) || 's';
    }
    if (!SPECIAL.has(type) && SCHEMAS[type] === undefined) throw new Error(`protobuf schema ${name}.${match[2]} refers to unknown ${type}`);
    const flags = match[4] ?? '';
    fields.push({ no: Number(match[1]), name: match[2]!, type, repeated, map, keep: flags.includes('!'), inline: flags.includes('^') });
  }
  m = { name, fields, byNo: new Map(fields.map((f) => [f.no, f])) };
  parsed.set(name, m);
  return m;
}

// ---------------------------------------------------------------------------------------------
// Wire format
// ---------------------------------------------------------------------------------------------

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

class Reader {
  buf: Uint8Array;
  pos: number;
  end: number;

  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
    throw new Error('varint longer than 10 bytes');
  }

  /** A varint used as a length or tag: must fit comfortably in a JS number. */
  small(): number {
    const v = this.varint();
    if (v > 0x7fffffffn) throw new Error(`length or tag too large (${v})`);
    return Number(v);
  }

  bytes(): Uint8Array {
    const len = this.small();
    if (this.pos + len > this.end) throw new Error('length-delimited field runs past the end of its message');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_BYTES:
        this.bytes();
        return;
      case WIRE_FIXED32:
        this.advance(4);
        return;
      default:
        throw new Error(`unsupported wire type ${wire}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) throw new Error('truncated fixed-width field');
    this.pos += n;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

function toBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

function int64(v: bigint): number {
  return Number(BigInt.asIntN(64, v));
}

function int32(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

/** A Go metav1.Time on the wire is a Timestamp; JSON renders it at second precision (RFC 3339, UTC). */
function timestamp(b: Uint8Array, micro: boolean): string | undefined {
  const r = new Reader(b);
  let seconds = 0n;
  let nanos = 0;
  while (!r.done()) {
    const tag = r.small();
    const no = tag >>> 3;
    const wire = tag & 7;
    if (no === 1 && wire === WIRE_VARINT) seconds = BigInt.asIntN(64, r.varint());
    else if (no === 2 && wire === WIRE_VARINT) nanos = int32(r.varint());
    else r.skip(wire);
  }
  if (seconds === 0n && nanos === 0) return undefined;
  const ms = Number(seconds) * 1000;
  const iso = new Date(ms).toISOString().replace(/\.\d{3}Z$/, '');
  return micro ? `${iso}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${iso}Z`;
}

/** Reads the single-field wrappers (Quantity.string, RawExtension.raw, FieldsV1.Raw) and IntOrString. */
function wrapped(b: Uint8Array): Map<number, bigint | Uint8Array> {
  const r = new Reader(b);
  const out = new Map<number, bigint | Uint8Array>();
  while (!r.done()) {
    const tag = r.small();
    const wire = tag & 7;
    if (wire === WIRE_VARINT) out.set(tag >>> 3, r.varint());
    else if (wire === WIRE_BYTES) out.set(tag >>> 3, r.bytes());
    else r.skip(wire);
  }
  return out;
}

function rawJson(b: Uint8Array | undefined): unknown {
  if (!b || b.length === 0) return undefined;
  if (isK8sProtobuf(b)) return decodeK8sProtobuf(b);
  try {
    return JSON.parse(utf8.decode(b));
  } catch {
    return toBase64(b);
  }
}

const UNSET = Symbol('unset');

/** Decodes one value of a special (non-message) type read with the given wire type. */
function scalar(type: string, wire: number, r: Reader, where: string): unknown {
  const expect = (w: number): void => {
    if (wire !== w) throw new Error(`malformed protobuf: ${where} has wire type ${wire}, expected ${w}`);
  };
  switch (type) {
    case 'b':
      expect(WIRE_VARINT);
      return r.varint() !== 0n;
    case 'i32':
      expect(WIRE_VARINT);
      return int32(r.varint());
    case 'i64':
      expect(WIRE_VARINT);
      return int64(r.varint());
    case 's':
      expect(WIRE_BYTES);
      return utf8.decode(r.bytes());
    case 'bytes':
      expect(WIRE_BYTES);
      return toBase64(r.bytes());
    case 'Time':
    case 'MicroTime':
      expect(WIRE_BYTES);
      return timestamp(r.bytes(), type === 'MicroTime') ?? UNSET;
    case 'Q': {
      expect(WIRE_BYTES);
      const s = wrapped(r.bytes()).get(1);
      return s instanceof Uint8Array ? utf8.decode(s) : '';
    }
    case 'IOS': {
      expect(WIRE_BYTES);
      const m = wrapped(r.bytes());
      const kind = m.get(1);
      if (typeof kind === 'bigint' && kind === 1n) {
        const s = m.get(3);
        return s instanceof Uint8Array ? utf8.decode(s) : '';
      }
      const n = m.get(2);
      return typeof n === 'bigint' ? int32(n) : 0;
    }
    case 'Raw':
    case 'Fields': {
      expect(WIRE_BYTES);
      const raw = wrapped(r.bytes()).get(1);
      const v = rawJson(raw instanceof Uint8Array ? raw : undefined);
      return v === undefined ? UNSET : v;
    }
    default:
      throw new Error(`internal: ${type} is not a scalar type`);
  }
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false || v === UNSET;
}

/** The zero value a map entry gets when its value field is absent. */
function zeroOf(type: string): unknown {
  switch (type) {
    case 's':
    case 'bytes':
    case 'Q':
      return '';
    case 'b':
      return false;
    case 'i32':
    case 'i64':
    case 'IOS':
      return 0;
    case 'Time':
    case 'MicroTime':
    case 'Raw':
    case 'Fields':
      return null;
    default:
      return {};
  }
}

function readElement(f: Field, wire: number, r: Reader, msg: string): unknown {
  const where = `${msg}.${f.name} (field ${f.no})`;
  if (SPECIAL.has(f.type)) return scalar(f.type, wire, r, where);
  if (wire !== WIRE_BYTES) throw new Error(`malformed protobuf: ${where} has wire type ${wire}, expected 2`);
  return decodeMessage(r.bytes(), f.type);
}

function readMapEntry(f: Field, b: Uint8Array, msg: string): [string, unknown] {
  const r = new Reader(b);
  let key = '';
  let value: unknown = UNSET;
  while (!r.done()) {
    const tag = r.small();
    const no = tag >>> 3;
    const wire = tag & 7;
    if (no === 1) key = scalar('s', wire, r, `${msg}.${f.name} key`) as string;
    else if (no === 2) value = readElement(f, wire, r, msg);
    else r.skip(wire);
  }
  if (value === UNSET) value = zeroOf(f.type);
  return [key, value];
}

function decodeMessage(buf: Uint8Array, name: string): Record<string, unknown> {
  const m = schema(name);
  const r = new Reader(buf);
  const singles = new Map<number, unknown>();
  const lists = new Map<number, unknown[]>();
  const maps = new Map<number, Record<string, unknown>>();
  while (!r.done()) {
    const tag = r.small();
    const no = tag >>> 3;
    const wire = tag & 7;
    if (no === 0) throw new Error(`malformed protobuf: field number 0 in ${name}`);
    const f = m.byNo.get(no);
    if (!f) {
      r.skip(wire);
      continue;
    }
    if (f.map) {
      if (wire !== WIRE_BYTES) throw new Error(`malformed protobuf: map ${name}.${f.name} has wire type ${wire}`);
      const [k, v] = readMapEntry(f, r.bytes(), name);
      let obj = maps.get(no);
      if (!obj) maps.set(no, (obj = {}));
      obj[k] = v === UNSET ? null : v;
    } else if (f.repeated) {
      let list = lists.get(no);
      if (!list) lists.set(no, (list = []));
      const packable = f.type === 'b' || f.type === 'i32' || f.type === 'i64';
      if (packable && wire === WIRE_BYTES) {
        const packed = new Reader(r.bytes());
        while (!packed.done()) list.push(scalar(f.type, WIRE_VARINT, packed, `${name}.${f.name}`));
      } else {
        const v = readElement(f, wire, r, name);
        list.push(v === UNSET ? null : v);
      }
    } else {
      const v = readElement(f, wire, r, name);
      const prev = singles.get(no);
      // a message field seen twice is merged, as protobuf does
      if (isPlainObject(prev) && isPlainObject(v)) singles.set(no, { ...prev, ...v });
      else singles.set(no, v);
    }
  }

  const out: Record<string, unknown> = {};
  for (const f of m.fields) {
    if (f.map) {
      const obj = maps.get(f.no);
      if (obj && Object.keys(obj).length > 0) out[f.name] = obj;
      continue;
    }
    if (f.repeated) {
      const list = lists.get(f.no);
      if (list && list.length > 0) out[f.name] = list;
      continue;
    }
    if (!singles.has(f.no)) continue;
    const v = singles.get(f.no);
    if (f.inline) {
      if (isPlainObject(v)) Object.assign(out, v);
      continue;
    }
    if (v === UNSET) continue;
    if (isPlainObject(v)) {
      if (f.keep || Object.keys(v).length > 0) out[f.name] = v;
      continue;
    }
    if (f.keep || !isZero(v)) out[f.name] = v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function messageFor(apiVersion: string, kind: string): string | undefined {
  if (ANY_GROUP_KINDS.has(kind)) return kind;
  return KINDS[apiVersion]?.includes(kind) ? kind : undefined;
}

/**
 * Decodes a Kubernetes protobuf-encoded object (4-byte magic "k8s\0" + runtime.Unknown{typeMeta{apiVersion,kind}, raw,
 * contentEncoding, contentType}) into the same JSON object shape the apiserver's JSON codec would produce. Throws Error
 * with a clear message for kinds it has no schema for.
 */
export function decodeK8sProtobuf(buf: Uint8Array): Record<string, unknown> {
  if (!isK8sProtobuf(buf)) throw new Error('not a Kubernetes protobuf message: the body does not start with the "k8s\\0" prefix');
  const r = new Reader(buf, 4);
  let apiVersion = '';
  let kind = '';
  let raw: Uint8Array = new Uint8Array(0);
  let contentEncoding = '';
  let contentType = '';
  while (!r.done()) {
    const tag = r.small();
    const no = tag >>> 3;
    const wire = tag & 7;
    if (no === 1 && wire === WIRE_BYTES) {
      const tm = new Reader(r.bytes());
      while (!tm.done()) {
        const t = tm.small();
        if (t >>> 3 === 1 && (t & 7) === WIRE_BYTES) apiVersion = utf8.decode(tm.bytes());
        else if (t >>> 3 === 2 && (t & 7) === WIRE_BYTES) kind = utf8.decode(tm.bytes());
        else tm.skip(t & 7);
      }
    } else if (no === 2 && wire === WIRE_BYTES) raw = r.bytes();
    else if (no === 3 && wire === WIRE_BYTES) contentEncoding = utf8.decode(r.bytes());
    else if (no === 4 && wire === WIRE_BYTES) contentType = utf8.decode(r.bytes());
    else r.skip(wire);
  }
  if (!kind) throw new Error('malformed protobuf envelope: runtime.Unknown carries no kind');
  if (contentEncoding) throw new Error(`unsupported protobuf content encoding "${contentEncoding}"`);
  if (contentType && !contentType.includes('protobuf')) {
    if (contentType.includes('json')) {
      const obj = JSON.parse(utf8.decode(raw)) as Record<string, unknown>;
      return { apiVersion, kind, ...obj };
    }
    throw new Error(`unsupported content type "${contentType}" inside the protobuf envelope`);
  }
  const message = messageFor(apiVersion, kind);
  if (!message)
    throw new K8sProtobufUnsupportedError(
      `the lab API server cannot decode protobuf bodies of kind ${kind} (${apiVersion || 'no apiVersion'}); send it as JSON instead`,
    );
  return { apiVersion, kind, ...decodeMessage(raw, message) };
}
