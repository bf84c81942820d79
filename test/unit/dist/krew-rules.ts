// krew-index's manifest rules (krew internal/index/validation/validate.go, the krew-index naming and licence
// policy), as a function returning every violation, so tests can show it catches each one.
export interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

export interface KrewPlatform {
  selector?: Selector;
  uri?: string;
  sha256?: string;
  bin?: string;
  files?: { from?: string; to?: string }[];
}

export interface KrewPlugin {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string };
  spec?: {
    version?: string;
    homepage?: string;
    shortDescription?: string;
    description?: string;
    caveats?: string;
    platforms?: KrewPlatform[];
  };
}

const WINDOWS_FORBIDDEN = ['CON', 'PRN', 'AUX', 'NUL', ...Array.from({ length: 9 }, (_, i) => `COM${i + 1}`), ...Array.from({ length: 9 }, (_, i) => `LPT${i + 1}`)];
const SEMVER = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
/** GOOS/GOARCH values krew could be asked about, to find selectors that overlap. */
const OSES = ['linux', 'darwin', 'windows', 'freebsd'];
const ARCHES = ['amd64', 'arm64', '386', 'arm', 'ppc64le', 's390x'];

export function selectorMatches(sel: Selector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = e.key in labels;
    const v = labels[e.key];
    if (e.operator === 'In' && !(has && e.values?.includes(v!))) return false;
    if (e.operator === 'NotIn' && has && e.values?.includes(v!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

export function validateKrewPlugin(p: KrewPlugin, fileName = 'netpath'): string[] {
  const errs: string[] = [];
  if (p.apiVersion !== 'krew.googlecontainertools.github.com/v1alpha2') errs.push(`apiVersion ${p.apiVersion}`);
  if (p.kind !== 'Plugin') errs.push(`kind ${p.kind}`);
  const name = p.metadata?.name ?? '';
  if (!/^[\w-]+$/.test(name) || WINDOWS_FORBIDDEN.some((f) => f.toLowerCase() === name.toLowerCase())) errs.push(`unsafe name "${name}"`);
  if (name !== fileName) errs.push(`name "${name}" is not the file name "${fileName}"`);
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name) || name.startsWith('kube-')) errs.push(`name "${name}" breaks the naming guide (lowercase kebab-case, no kube- prefix)`);
  const s = p.spec ?? {};
  if (!s.shortDescription) errs.push('no shortDescription');
  else if (/[\r\n]/.test(s.shortDescription)) errs.push('shortDescription has a line break');
  if (!s.description?.trim()) errs.push('no description');
  if (!s.version) errs.push('no version');
  else if (!SEMVER.test(s.version)) errs.push(`version ${s.version} is not a semver tag (vX.Y.Z)`);
  if (!s.homepage || !/^https:\/\//.test(s.homepage)) errs.push(`homepage ${s.homepage}`);
  const platforms = s.platforms ?? [];
  if (!platforms.length) errs.push('no platforms');
  platforms.forEach((pl, i) => {
    const at = `platforms[${i}]`;
    if (!pl.uri) errs.push(`${at}: no uri`);
    else if (s.version && !pl.uri.includes(`/${s.version}/`)) errs.push(`${at}: uri ${pl.uri} does not carry the tag ${s.version}`);
    if (!pl.sha256) errs.push(`${at}: no sha256`);
    else if (!/^[a-f0-9]{64}$/.test(pl.sha256)) errs.push(`${at}: sha256 ${pl.sha256} must match ^[a-f0-9]{64}$`);
    if (!pl.bin) errs.push(`${at}: no bin`);
    if (pl.files !== undefined) {
      if (!pl.files.length) errs.push(`${at}: files is empty`);
      for (const f of pl.files) if (!f.from || !f.to) errs.push(`${at}: a files entry lacks from/to`);
      if (!pl.files.some((f) => /^licen[cs]e/i.test(f.from ?? ''))) errs.push(`${at}: no LICENSE in files (krew-index requires the licence to be extracted)`);
    }
    const sel = pl.selector;
    if (!sel) errs.push(`${at}: no selector`);
    else {
      if (!sel.matchLabels && !sel.matchExpressions?.length) errs.push(`${at}: empty selector`);
      if (sel.matchLabels && !Object.keys(sel.matchLabels).length) errs.push(`${at}: empty matchLabels`);
      for (const k of [...Object.keys(sel.matchLabels ?? {}), ...(sel.matchExpressions ?? []).map((e) => e.key)])
        if (k !== 'os' && k !== 'arch') errs.push(`${at}: selector key ${k} (only os and arch)`);
      const os = sel.matchLabels?.os;
      if (os === 'windows' && pl.bin && !pl.bin.endsWith('.exe')) errs.push(`${at}: a Windows bin must end in .exe`);
    }
  });
  for (const os of OSES)
    for (const arch of ARCHES) {
      const hits = platforms.map((pl, i) => (pl.selector && selectorMatches(pl.selector, { os, arch }) ? i : -1)).filter((i) => i >= 0);
      if (hits.length > 1) errs.push(`selectors overlap on ${os}/${arch}: platforms ${hits.join(', ')}`);
    }
  return errs;
}
