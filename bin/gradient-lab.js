#!/usr/bin/env node
// The `gradient-lab` command. Plain JavaScript: it registers tsx's ESM loader so the TypeScript
// sources run as they are, with no build step, then hands over to src/cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { runFromProcess } = await import('../src/cli/main.ts');
await runFromProcess();
