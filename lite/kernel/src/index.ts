// JupyterLite plugin: registers the "prunelab" kernel spec, and routes interrupts to it.
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IKernelClient, IKernelSpecs, type IKernel } from '@jupyterlite/services';
import { PrunelabKernel } from './kernel';

/** The running prunelab kernels by id, so that an interrupt can reach the right worker. */
const running = new Map<string, PrunelabKernel>();

/**
 * JupyterLite 0.8's kernel client answers an interrupt by cancelling the queued cells only: the
 * running cell never hears of it. This wraps the client's `interrupt` so that a prunelab kernel
 * first aborts its running cell's signal (training stops at the next batch with
 * KeyboardInterrupt), then the client cancels what is queued as before. A cell busy in a loop
 * that never yields cannot be reached this way: restart the kernel (a new worker).
 */
function routeInterrupts(client: IKernelClient): void {
  const cancelQueued = client.interrupt.bind(client);
  client.interrupt = async (kernelId: string) => {
    await running.get(kernelId)?.interruptRequest();
    return cancelQueued(kernelId);
  };
}

const kernel: JupyterFrontEndPlugin<void> = {
  id: '@prunelab/lite-kernel:kernel',
  description: 'The prunelab browser kernel (cells run in a Web Worker).',
  autoStart: true,
  requires: [IKernelSpecs],
  optional: [IKernelClient],
  activate: (_app: JupyterFrontEnd, kernelspecs: IKernelSpecs, client: IKernelClient | null) => {
    if (client) routeInterrupts(client);
    else console.warn('prunelab: no IKernelClient: interrupting the kernel will not stop a running cell (restart it instead)');
    kernelspecs.register({
      spec: {
        name: 'prunelab',
        display_name: 'prunelab (browser)',
        language: 'javascript',
        argv: [],
        resources: {},
      },
      create: async (options: IKernel.IOptions): Promise<IKernel> => {
        const k = new PrunelabKernel(options);
        running.set(options.id, k);
        k.disposed.connect(() => running.delete(options.id));
        return k;
      },
    });
  },
};

export default [kernel];
