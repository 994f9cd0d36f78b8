import { existsSync } from 'node:fs';
import { defineConfig, mergeConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import viteConfig from './vite.config.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Set in CI: a missing WebGPU adapter fails the run instead of skipping GPU tests. */
    requireWebgpu: boolean;
  }
}

/** SwiftShader's Vulkan driver, shipped by Debian's chromium package; Dawn needs it to find an adapter. */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

const isSet = (value: string | undefined) => value !== undefined && !['', '0', 'false'].includes(value);

const requireWebgpu = isSet(process.env.CI) || isSet(process.env.REQUIRE_WEBGPU);

// A developer's own VK_ICD_FILENAMES (say, a real GPU's driver) wins over SwiftShader.
const nodeEnv: Record<string, string> = {};
if (process.env.VK_ICD_FILENAMES === undefined && existsSync(SWIFTSHADER_ICD)) {
  nodeEnv.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}

export default mergeConfig(
  viteConfig,
  defineConfig({
    test: {
      // Property tests over GPU kernels on a software adapter are slow.
      testTimeout: 120_000,
      hookTimeout: 120_000,
      provide: { requireWebgpu },
      projects: [
        {
          extends: true,
          test: {
            name: 'node',
            environment: 'node',
            include: ['test/**/*.test.ts'],
            exclude: ['test/browser/**', 'test/e2e/**'],
            env: nodeEnv,
          },
        },
        {
          extends: true,
          test: {
            name: 'browser',
            include: ['test/browser/**/*.test.ts'],
            browser: {
              enabled: true,
              headless: true,
              provider: playwright({
                launchOptions: {
                  // Playwright cannot download its own browser here: use Debian's chromium.
                  executablePath: '/usr/bin/chromium',
                  args: [
                    '--enable-unsafe-webgpu',
                    '--no-sandbox',
                    '--disable-quic',
                    '--disable-background-networking',
                    '--disable-component-update',
                    '--disable-sync',
                    '--disable-dev-shm-usage',
                  ],
                },
              }),
              instances: [{ browser: 'chromium' }],
            },
          },
        },
        {
          extends: true,
          test: {
            // The built app in Debian's Chromium, driven by playwright-core from Node (test/support/e2e.ts).
            name: 'e2e',
            environment: 'node',
            include: ['test/e2e/**/*.test.ts'],
            fileParallelism: false,
            testTimeout: 90_000,
            hookTimeout: 120_000,
            // The page answers asynchronously (worker, Monaco's rendering): polls wait up to 10 s.
            expect: { poll: { timeout: 10_000 } },
          },
        },
      ],
    },
  }),
);
