// plugin.yaml (written by `npm run release`) against krew-index's rules, against the archives in dist/release/ when
// they are there (sha256, `bin` and every `files` entry present, LICENSE extracted), and .krew.yaml against it.
//
// How plugin.yaml stays truthful: only a release run that has all five archives in dist/release/ writes it, from
// those archives, so the sha256 here always describe the archives built with it; partial builds (the e2e test's)
// go to other folders. When dist/release/ holds archives, this test checks every sha256 and file list against them.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { readArchive } from '../../../scripts/archive.ts';
import { TARGETS, archiveFiles, krewTemplate, pluginYaml, type PlatformEntry } from '../../../scripts/krew-manifest.ts';
import { type KrewPlugin, validateKrewPlugin } from './krew-rules.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const RELEASE = join(ROOT, 'dist', 'release');
const text = readFileSync(join(ROOT, 'plugin.yaml'), 'utf8');
const plugin = yaml.load(text) as KrewPlugin;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

const sample = (): KrewPlugin => structuredClone(plugin);

describe('the krew rules themselves', () => {
  it('catch each kind of violation', () => {
    const bad = (edit: (p: KrewPlugin) => void, pattern: RegExp) => {
      const p = sample();
      edit(p);
      expect(validateKrewPlugin(p).join('\n')).toMatch(pattern);
    };
    bad((p) => (p.metadata!.name = 'net path'), /unsafe name/);
    bad((p) => (p.metadata!.name = 'other'), /file name/);
    bad((p) => (p.spec!.version = '0.1.0'), /semver tag/);
    bad((p) => (p.spec!.shortDescription = 'two\nlines'), /line break/);
    bad((p) => (p.spec!.description = ''), /no description/);
    bad((p) => (p.spec!.platforms![0]!.sha256 = 'ABC'), /sha256 ABC must match/);
    bad((p) => (p.spec!.platforms![0]!.uri = 'https://example.com/v9.9.9/x.tar.gz'), /does not carry the tag/);
    bad((p) => (p.spec!.platforms![0]!.files = [{ from: 'kubectl-netpath', to: '.' }]), /no LICENSE/);
    bad((p) => (p.spec!.platforms![1]!.selector = { matchLabels: { os: 'linux' } }), /overlap on linux\/amd64/);
    bad((p) => (p.spec!.platforms![1]!.selector = { matchExpressions: [{ key: 'os', operator: 'In', values: ['linux', 'darwin'] }] }), /overlap on darwin\/amd64/);
    bad((p) => (p.spec!.platforms![0]!.selector = { matchLabels: { os: 'linux', distro: 'debian' } }), /selector key distro/);
    bad((p) => (p.spec!.platforms!.find((x) => x.selector?.matchLabels?.os === 'windows')!.bin = 'kubectl-netpath'), /\.exe/);
  });
});

describe('plugin.yaml', () => {
  it('passes krew-index validation', () => {
    expect(validateKrewPlugin(plugin, 'netpath')).toEqual([]);
  });

  it('is the package version, has one platform per release target and the archive names krew expects', () => {
    expect(plugin.spec!.version).toBe(`v${pkg.version}`);
    const got = plugin.spec!.platforms!.map((p) => `${p.selector!.matchLabels!.os}/${p.selector!.matchLabels!.arch}`);
    expect(got).toEqual(TARGETS.map((t) => `${t.os}/${t.arch}`));
    for (const t of TARGETS) {
      const p = plugin.spec!.platforms!.find((x) => x.selector!.matchLabels!.os === t.os && x.selector!.matchLabels!.arch === t.arch)!;
      expect(p.uri).toBe(`${plugin.spec!.homepage}/releases/download/v${pkg.version}/kubectl-netpath_${t.os}_${t.arch}.${t.os === 'windows' ? 'zip' : 'tar.gz'}`);
      expect(p.bin).toBe(t.bin);
      expect(p.files!.map((f) => f.from)).toContain(p.bin);
      // A launcher platform (no self-contained binary) ships the bundle and says so in the caveats.
      const launcher = p.files!.some((f) => f.from === 'kubectl-netpath.mjs');
      expect(p.files!.map((f) => f.from)).toEqual(archiveFiles(t, launcher ? 'launcher' : 'sea'));
      if (launcher) expect(plugin.spec!.caveats).toMatch(new RegExp(`${t.os}/${t.arch}[^\\n]*\\n?.*Node\\.js >= 22`));
    }
  });

  it('is exactly what the release script writes for these sha256s (no hand edits)', () => {
    const platforms: PlatformEntry[] = TARGETS.map((t) => {
      const p = plugin.spec!.platforms!.find((x) => x.selector!.matchLabels!.os === t.os && x.selector!.matchLabels!.arch === t.arch)!;
      return { target: t, kind: p.files!.some((f) => f.from === 'kubectl-netpath.mjs') ? 'launcher' : 'sea', sha256: p.sha256! };
    });
    const repo = plugin.spec!.homepage!.replace('https://github.com/', '');
    expect(text).toBe(pluginYaml({ version: plugin.spec!.version!, repo, platforms }));
    // .krew.yaml is the same manifest as a krew-release-bot template.
    const tpl = readFileSync(join(ROOT, '.krew.yaml'), 'utf8');
    expect(tpl).toBe(krewTemplate({ repo, platforms }));
    // Render it the way the bot does (addURIAndSha → "uri: …\n    sha256: …") and compare with plugin.yaml.
    const sums = new Map(platforms.map((p) => [p.target.archive, p.sha256]));
    const rendered = tpl.replace(/\{\{addURIAndSha "([^"]+)" \.TagName \}\}/g, (_m, url: string) => {
      const u = url.replace('{{ .TagName }}', plugin.spec!.version!);
      return `uri: ${u}\n    sha256: ${sums.get(u.split('/').pop()!)}`;
    });
    const fromBot = yaml.load(rendered.replaceAll('{{ .TagName }}', plugin.spec!.version!)) as KrewPlugin;
    expect(fromBot).toEqual(plugin);
  });

  const present = TARGETS.filter((t) => existsSync(join(RELEASE, t.archive)));
  it.skipIf(present.length === 0)(`matches the archives in dist/release/ (${present.length} present)`, () => {
    for (const t of present) {
      const file = join(RELEASE, t.archive);
      const p = plugin.spec!.platforms!.find((x) => x.uri!.endsWith(`/${t.archive}`))!;
      expect(createHash('sha256').update(readFileSync(file)).digest('hex'), `${t.archive} sha256`).toBe(p.sha256);
      const entries = readArchive(file);
      const names = new Set(entries.map((e) => e.name.replace(/\/$/, '')));
      for (const f of p.files!) expect(names.has(f.from!), `${t.archive} has ${f.from}`).toBe(true);
      const bin = entries.find((e) => e.name === p.bin)!;
      expect(bin.mode & 0o111, `${p.bin} is executable`).not.toBe(0);
      const license = entries.find((e) => e.name === 'LICENSE')!;
      expect(license.data!.equals(readFileSync(join(ROOT, 'LICENSE')))).toBe(true);
    }
  });
  if (present.length === 0) console.log('plugin.yaml: no archives in dist/release/ (run `npm run release`): sha256 values not compared');
});
