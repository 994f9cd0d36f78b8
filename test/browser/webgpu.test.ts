import { getBrowserTestDevice } from '../support/browser-webgpu.ts';
import { describeDeviceSmoke } from '../support/device-smoke.ts';

describeDeviceSmoke('Chromium', await getBrowserTestDevice());
