// The two nodes a lab has when no scenario brings its own, in two zones as a small cloud cluster would.
import type { KObject } from './types.ts';

/**
 * Node `lab-worker-INDEX`: InternalIP 127.0.1.INDEX, podCIDR 127.1.INDEX.0/24, `maxPods` pods (110, the kubelet's
 * default, unless given).
 */
export function labNode(index: number, zone: string, maxPods = 110): KObject {
  const name = `lab-worker-${index}`;
  const pods = String(maxPods);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': 'amd64',
        'topology.kubernetes.io/region': 'lab-region',
        'topology.kubernetes.io/zone': zone,
        'node.kubernetes.io/instance-type': 'lab.standard-4',
      },
    },
    spec: { podCIDR: `127.1.${index}.0/24`, podCIDRs: [`127.1.${index}.0/24`], providerID: `lab://lab-region/${zone}/${name}` },
    status: {
      addresses: [
        { type: 'InternalIP', address: `127.0.1.${index}` },
        { type: 'Hostname', address: name },
      ],
      capacity: { cpu: '4', memory: '16Gi', pods, 'ephemeral-storage': '100Gi' },
      allocatable: { cpu: '4', memory: '16Gi', pods, 'ephemeral-storage': '100Gi' },
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
        { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
        { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
      ].map((c) => ({ ...c, lastHeartbeatTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') })),
      nodeInfo: {
        machineID: `lab${index}`.padEnd(32, '0'),
        systemUUID: `00000000-0000-0000-0000-${String(index).padStart(12, '0')}`,
        bootID: `00000000-0000-0000-0000-b${String(index).padStart(11, '0')}`,
        kernelVersion: '6.1.0-lab',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.24',
        kubeletVersion: 'v1.32.0',
        kubeProxyVersion: 'v1.32.0',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

export function defaultNodes(): KObject[] {
  return [labNode(1, 'lab-zone-a'), labNode(2, 'lab-zone-b')];
}
