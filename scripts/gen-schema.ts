// Build step (after tsc): derives the schema of every documented kind from the
// installed @kubernetes/client-node models into dist/schema/definitions.json,
// which the API server loads at start. Generated data is never committed.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readClientModels } from '../src/api/schema/build/client-models.js';
import { deriveDefinitions } from '../src/api/schema/build/derive.js';
import { schemaGroupVersions } from '../src/api/schema/groups.js';

const here = dirname(fileURLToPath(import.meta.url));
// Compiled this runs from dist/scripts; through tsx from scripts/. Either way the output lands in dist/schema.
const distDir = here.endsWith(join('dist', 'scripts')) ? dirname(here) : join(dirname(here), 'dist');
const out = join(distDir, 'schema', 'definitions.json');

const { definitions, unmatched, missingKinds } = deriveDefinitions(readClientModels(), schemaGroupVersions());
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ definitions }));
const missing = missingKinds.length ? `; no client-node model (served schemaless): ${missingKinds.join(', ')}` : '';
const note = unmatched.length ? `; ${unmatched.length} extension entries name fields client-node lacks: ${unmatched.join(', ')}` : '';
process.stdout.write(`gen-schema: ${Object.keys(definitions).length} definitions → ${out}${missing}${note}\n`);
