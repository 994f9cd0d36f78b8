#!/usr/bin/env node
// `npm run bench`. Plain JavaScript: it registers tsx's ESM loader so the TypeScript sources run as
// they are, with no build step, then hands over to src/bench/main.ts.
import { existsSync } from 'node:fs';
import { register } from 'tsx/esm/api';

// SwiftShader, a CPU Vulkan driver shipped with Debian's chromium: Dawn's adapter when there is no GPU.
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;

register();
const { runFromProcess } = await import('../src/bench/main.ts');
await runFromProcess();
