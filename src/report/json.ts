// JSON and YAML: the model's Report serialised (docs/OUTPUT.md), every string sanitised.
import * as yaml from 'js-yaml';
import type { Report } from '../path/model.ts';
import { sanitizeDeep } from '../text/sanitize.ts';

export function renderJson(report: Report): string {
  return JSON.stringify(sanitizeDeep(report), null, 2) + '\n';
}

export function renderYaml(report: Report): string {
  return yaml.dump(JSON.parse(JSON.stringify(sanitizeDeep(report))), { noRefs: true, lineWidth: -1, sortKeys: false });
}
