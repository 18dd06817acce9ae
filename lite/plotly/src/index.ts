// JupyterLab mime-renderer extension: plotly figures (application/vnd.plotly.v1+json) drawn with
// plotly.js. No maintained JupyterLab 4 plotly renderer is on npm, hence this one.
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { PLOTLY_MIME } from './figure';
import { PlotlyRenderer } from './renderer';

const extension: IRenderMime.IExtension = {
  id: '@prunelab/lite-plotly:renderer',
  description: 'Renders plotly figures (application/vnd.plotly.v1+json) with plotly.js.',
  rendererFactory: {
    // A figure is data (traces, layout), not code: it renders in notebooks that are not trusted,
    // which is every notebook a student opens from the site's files.
    safe: true,
    mimeTypes: [PLOTLY_MIME],
    createRenderer: (options) => new PlotlyRenderer(options),
  },
  // Before text/html (50) and image/png (90): the Node kernel's outputs carry an HTML fallback
  // that needs RequireJS and a static PNG for GitHub; here the interactive figure wins.
  rank: 0,
  dataType: 'json',
};

export default extension;
