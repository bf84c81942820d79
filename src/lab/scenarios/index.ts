// Scenario files: plain multi-document manifests with a comment header naming the fault and the layer to blame.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as yaml from 'js-yaml';
import type { KObject } from '../types.ts';

export interface ScenarioHeader {
  scenario?: string;
  fault?: string;
  layer?: string;
  symptom?: string;
  requires: string[];
}

export interface Scenario {
  name: string;
  header: ScenarioHeader;
  objects: KObject[];
}

/** Where the scenario files are: beside this module in the sources, `scenarios/` beside the bundle when built. */
export function scenarioDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const bundled = join(here, 'scenarios');
  return existsSync(join(bundled, 'platform.yaml')) ? bundled : here;
}

export function listScenarios(): string[] {
  return readdirSync(scenarioDir())
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -5))
    .sort();
}

export function parseHeader(text: string): ScenarioHeader {
  const h: ScenarioHeader = { requires: [] };
  for (const line of text.split('\n')) {
    if (!line.startsWith('#')) {
      if (line.trim() === '' || line.trim() === '---') continue;
      break;
    }
    const m = /^#\s*(scenario|fault|layer|symptom|requires):\s*(.*)$/.exec(line);
    if (!m) continue;
    const [, key, value] = m as unknown as [string, keyof ScenarioHeader, string];
    if (key === 'requires') h.requires = value.split(/[,\s]+/).filter(Boolean);
    else h[key] = value.trim();
  }
  return h;
}

/** Parses a multi-document YAML text into objects; `List` kinds are flattened as kubectl does. */
export function parseManifests(text: string, source: string): KObject[] {
  const out: KObject[] = [];
  let docs: unknown[];
  try {
    docs = yaml.loadAll(text);
  } catch (e) {
    throw new Error(`${source}: ${(e as Error).message.split('\n')[0]}`);
  }
  for (const d of docs) {
    if (!d || typeof d !== 'object') continue;
    const o = d as KObject;
    if (o.kind?.endsWith('List') && Array.isArray(o.items)) out.push(...(o.items as KObject[]));
    else out.push(o);
  }
  for (const o of out) {
    if (!o.apiVersion || !o.kind || !o.metadata?.name) throw new Error(`${source}: every object needs apiVersion, kind and metadata.name`);
  }
  return out;
}

export function loadScenario(name: string): Scenario {
  const file = join(scenarioDir(), `${name}.yaml`);
  if (!/^[a-z0-9-]+$/.test(name) || !existsSync(file))
    throw new Error(`unknown scenario "${name}" (available: ${listScenarios().join(', ')})`);
  const text = readFileSync(file, 'utf8');
  return { name, header: parseHeader(text), objects: parseManifests(text, file) };
}

/** Scenarios in load order: each one's `requires` first, every scenario once. */
export function resolveScenarios(names: string[]): Scenario[] {
  const out: Scenario[] = [];
  const seen = new Set<string>();
  const visit = (n: string, stack: string[]) => {
    if (seen.has(n)) return;
    if (stack.includes(n)) throw new Error(`scenario requirement cycle: ${[...stack, n].join(' → ')}`);
    const s = loadScenario(n);
    for (const r of s.header.requires) visit(r, [...stack, n]);
    seen.add(n);
    out.push(s);
  };
  for (const n of names) visit(n, []);
  return out;
}

/** Reads manifests from a file or every .yaml/.yml/.json file of a directory (sorted), as `kubectl apply -f DIR`. */
export function loadManifestPath(path: string): KObject[] {
  if (!existsSync(path)) throw new Error(`the path "${path}" does not exist`);
  const files = statSync(path).isDirectory()
    ? readdirSync(path)
        .filter((f) => ['.yaml', '.yml', '.json'].includes(extname(f)))
        .sort()
        .map((f) => join(path, f))
    : [path];
  return files.flatMap((f) => parseManifests(readFileSync(f, 'utf8'), f));
}
