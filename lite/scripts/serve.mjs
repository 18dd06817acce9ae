// Serve the built site on 127.0.0.1 with the headers cross-origin isolation
// needs (SharedArrayBuffer for interrupts, threaded wasm).
// usage: node scripts/serve.mjs [dir=build] [port=8765]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const MAIN = process.argv[1] === fileURLToPath(import.meta.url);
const ROOT = path.resolve((MAIN && process.argv[2]) || process.env.LITE_OUT || path.join(HERE, 'build'));
const PORT = Number((MAIN && process.argv[3]) || process.env.PORT || 8765);
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.ipynb': 'application/json; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.wasm': 'application/wasm',
  '.woff': 'font/woff', '.woff2': 'font/woff2', '.ttf': 'font/ttf', '.eot': 'application/vnd.ms-fontobject',
  '.webmanifest': 'application/manifest+json', '.map': 'application/json', '.txt': 'text/plain; charset=utf-8',
};

export function serve(root = ROOT, port = PORT) {
  root = path.resolve(root);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    let file = path.join(root, decodeURIComponent(url.pathname));
    // within root (a bare prefix test would let /../build-other/ through)
    if (file !== root && !file.startsWith(root + path.sep)) return end(res, 403);
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
      // as static hosts do: the app's relative URLs need the trailing slash
      if (!url.pathname.endsWith('/')) {
        res.writeHead(301, { Location: `${url.pathname}/${url.search}` });
        return res.end();
      }
      file = path.join(file, 'index.html');
    }
    if (!fs.existsSync(file)) {
      if (process.env.LITE_LOG) console.error(`404 ${url.pathname}`);
      return end(res, 404);
    }
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-cache',
    });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject); // e.g. EADDRINUSE
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function end(res, code) {
  res.writeHead(code, { 'Content-Type': 'text/plain' });
  res.end(code === 404 ? 'Not Found' : 'Forbidden'); // never valid JSON
}

if (MAIN) {
  const s = await serve();
  console.log(`serving ${ROOT} on http://127.0.0.1:${s.address().port}/ (COOP/COEP set)`);
}
