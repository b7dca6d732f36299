import { writeFileSync } from 'node:fs';
import { summaryJsonSchema } from './summary-schema.ts';

/** The checked-in JSON Schema of summary.json, generated from the zod schema (`npm run schema:summary`). */
export const summarySchemaFile = new URL('./summary.schema.json', import.meta.url);

export function renderSummarySchemaFile(): string {
  return JSON.stringify(summaryJsonSchema(), null, 2) + '\n';
}

if (import.meta.main) {
  writeFileSync(summarySchemaFile, renderSummarySchemaFile());
  console.log(`wrote ${summarySchemaFile.pathname}`);
}
