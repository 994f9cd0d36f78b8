import { describeDeviceSmoke } from '../support/device-smoke.ts';
import { getTestDevice } from '../support/webgpu.ts';

describeDeviceSmoke('Node, Dawn', await getTestDevice());
