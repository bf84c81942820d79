// Output formats. `tui` is the interactive view (issue 5); until it exists it renders as text.
import type { Report } from '../path/model.ts';
import { renderJson, renderYaml } from './json.ts';
import { renderMarkdown } from './markdown.ts';
import { renderText, type TextOptions } from './text.ts';

export const OUTPUT_FORMATS = ['tui', 'text', 'markdown', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function render(report: Report, format: Exclude<OutputFormat, 'tui'>, o: TextOptions = {}): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'yaml':
      return renderYaml(report);
    case 'markdown':
      return renderMarkdown(report);
    case 'text':
      return renderText(report, o);
  }
}

export { renderJson, renderYaml, renderMarkdown, renderText };
