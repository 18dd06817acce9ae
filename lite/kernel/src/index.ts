// JupyterLite plugin: registers the "prunelab" kernel spec.
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IKernelSpecs, type IKernel } from '@jupyterlite/services';
import { PrunelabKernel } from './kernel';

const kernel: JupyterFrontEndPlugin<void> = {
  id: '@prunelab/lite-kernel:kernel',
  description: 'The prunelab browser kernel (cells run in a Web Worker).',
  autoStart: true,
  requires: [IKernelSpecs],
  activate: (_app: JupyterFrontEnd, kernelspecs: IKernelSpecs) => {
    kernelspecs.register({
      spec: {
        name: 'prunelab',
        display_name: 'prunelab (browser)',
        language: 'javascript',
        argv: [],
        resources: {},
      },
      create: async (options: IKernel.IOptions): Promise<IKernel> => new PrunelabKernel(options),
    });
  },
};

export default [kernel];
