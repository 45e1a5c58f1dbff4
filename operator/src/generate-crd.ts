import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CRD_FILE, renderCrdYaml } from './api/crd.ts';

const target = fileURLToPath(new URL(`../../${CRD_FILE}`, import.meta.url));
await writeFile(target, renderCrdYaml());
process.stdout.write(`wrote ${target}\n`);
