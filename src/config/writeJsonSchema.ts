import { writeFile } from 'node:fs/promises'
import { SKILLS } from '../../skills/index.js'
import { configJsonSchema } from './jsonSchema.js'

/** `npm run schema`: regenerate config/siyu.schema.json (a test fails when it is stale). */
export const SCHEMA_FILE = 'config/siyu.schema.json'

export function schemaText(): string {
  return JSON.stringify(configJsonSchema(SKILLS), null, 2) + '\n'
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await writeFile(SCHEMA_FILE, schemaText())
  console.log(`wrote ${SCHEMA_FILE}`)
}
