// prunelab teaching edition: build a JupyterLite site from npm packages alone.
//
// A trimmed copy of jupyterlite/jupyterlite@0.8.x `app/rspack.config.js`: same
// module-federation `shared` computation (so that federated extensions added
// later get the one copy of each lumino/jupyterlab package), same entry-point
// templates (app/*.js, app/*.html copied verbatim from upstream 0.8.x), but
//   - only the apps listed in package.json#prunelab-lite.apps (the "lab" app),
//   - our own extensions (package.json#prunelab-lite.extensions) built in,
//   - TypeScript sources compiled by rspack's built-in swc loader (no tsc step),
//   - output straight into ./build (site root) and ./build/build (static), the
//     layout the Python CLI produces after unpacking the prebuilt app.
const path = require('path');
const fs = require('fs-extra');
const glob = require('glob');
const rspack = require('@rspack/core');
const merge = require('webpack-merge').default;
const { ModuleFederationPlugin } = rspack.container;
const { HtmlRspackPlugin } = rspack;
const Handlebars = require('handlebars');
const Build = require('@jupyter/builder').Build;
const WPPlugin = require('@jupyter/builder').WPPlugin;
const baseConfig = require('@jupyter/builder/lib/webpack.config.base');

const HERE = __dirname;
const APP = path.join(HERE, 'app'); // upstream templates and static files
const GEN = path.join(HERE, '.gen'); // generated entry points
const SITE = path.resolve(process.env.LITE_OUT || path.join(HERE, 'build'));
const STATIC = path.join(SITE, 'build'); // `fullStaticUrl` is ./build
const PROD = process.env.LITE_DEV ? false : true;

const liteConfig = require('./package.json')['prunelab-lite'];

// Our own extensions are folders of lite/ (package.json#prunelab-lite.localPackages: name -> folder),
// resolved by path rather than through node_modules: adding one needs no `npm install`, and a site
// built from a checkout uses that checkout's sources (a `file:` link in a node_modules shared
// between checkouts points into whichever checkout installed it).
const LOCAL_PACKAGES = Object.fromEntries(
  Object.entries(liteConfig.localPackages ?? {}).map(([name, dir]) => [name, path.join(HERE, dir)]),
);
/** package.json of an extension: a local package's own, else the installed one's. */
function packageJson(pkg) {
  return LOCAL_PACKAGES[pkg]
    ? fs.readJSONSync(path.join(LOCAL_PACKAGES[pkg], 'package.json'))
    : require(`${pkg}/package.json`);
}

// plotly.js for the plotly renderer comes from the repository's top-level node_modules (the
// Node kernel's dependency, the copy its tests and figure export use), like `typescript` below.
const PLOTLY = path.dirname(require.resolve('plotly.js-dist-min/package.json', { paths: [path.join(HERE, '..')] }));

// The browser kernel's cell transform (../kernel/browser) compiles cells with the repository's
// own `typescript` (top-level devDependency), and the shared magic transform's tslab fork of the
// compiler is the same API: one compiler in the bundle, the version the Node side tests.
const TYPESCRIPT = path.dirname(require.resolve('typescript/package.json', { paths: [path.join(HERE, '..')] }));

// The browser edition of the `pl` API (../src/browser.ts): every module of ../src with a
// `*.browser.ts` sibling is replaced by that sibling (Node's file system, zlib, util, tfjs-node,
// worker processes stay out; test/browser/api-import-graph.test.ts checks the same rule).
const SRC = path.join(HERE, '..', 'src');
const BROWSER_SUBSTITUTES = Object.fromEntries(
  glob.sync(`${SRC}/**/*.browser.ts`).flatMap((browserFile) => {
    const nodeModule = browserFile.replace(/\.browser\.ts$/, '');
    return [[`${nodeModule}$`, browserFile], [`${nodeModule}.ts$`, browserFile]];
  }),
);

const liteAppData = {};
for (const app of liteConfig.apps) {
  const data = fs.readJSONSync(path.join(APP, app, 'package.json'));
  data.jupyterlab.extensions = [
    ...data.jupyterlab.extensions,
    ...liteConfig.extensions,
  ];
  liteAppData[app] = data;
}

/** package.json of an installed package (lite's node_modules, then the repository's), or undefined. */
function installedPackageJson(name) {
  for (const dir of [path.join(HERE, 'node_modules'), path.join(HERE, '..', 'node_modules')]) {
    const file = path.join(dir, name, 'package.json');
    if (fs.existsSync(file)) return fs.readJSONSync(file);
  }
  if (LOCAL_PACKAGES[name]) return fs.readJSONSync(path.join(LOCAL_PACKAGES[name], 'package.json'));
  if (name === 'prunelab') return fs.readJSONSync(path.join(HERE, '..', 'package.json'));
  return undefined;
}

/**
 * The licence text of a bundled package that ships no licence file (JupyterLab, Lumino and tfjs
 * declare theirs in package.json only): the standard text of each licence it declares
 * (lite/licenses/<SPDX id>.txt), with the copyright holder its package.json names, under a line
 * saying where the licence came from. So the site's Help > Licenses shows a text for every package.
 */
function declaredLicenseText(packageName, licenseType) {
  const ids = String(licenseType ?? '').split(/\s+(?:AND|OR)\s+/).map((id) => id.replace(/[()]/g, '').trim()).filter(Boolean);
  const templates = ids.map((id) => path.join(HERE, 'licenses', `${id}.txt`));
  if (!ids.length || !templates.every((t) => fs.existsSync(t))) return null;
  const pkg = installedPackageJson(packageName) ?? {};
  const person = (p) => (typeof p === 'string' ? p.replace(/\s*[<(].*$/, '') : p?.name);
  const repo = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  const holder = person(pkg.author) || (pkg.contributors ?? []).map(person).filter(Boolean).join(', ') || `the authors of ${packageName}${repo ? ` (${repo})` : ''}`;
  const head = `${packageName} ships no licence file; its package.json declares ${licenseType}. The standard text follows.\n\n`;
  return head + templates.map((t) => fs.readFileSync(t, 'utf8').replace('{{holder}}', holder)).join('\n\n');
}

const licensePlugins = [];
if (!process.env.NO_WEBPACK_LICENSES) {
  const licenseTypeOverrides = {
    'localforage-memoryStorageDriver': 'Apache-2.0',
    khroma: 'MIT',
  };
  const jupyterliteLicenseText = fs.readFileSync(
    path.join(APP, 'LICENSE.jupyterlite'),
    'utf-8',
  );
  licensePlugins.push(
    new WPPlugin.JSONLicenseWebpackPlugin({
      licenseTypeOverrides,
      handleMissingLicenseText: (packageName, licenseType) =>
        packageName.startsWith('@jupyterlite/') ? jupyterliteLicenseText : declaredLicenseText(packageName, licenseType),
    }),
  );
}

Handlebars.registerHelper('ispage', (key, page) => key === page);

/** Module federation `shared` config: verbatim logic of upstream's createShared. */
function createShared(packageData, shared = null) {
  shared = shared || {};
  const extensionPackages = packageData.jupyterlab.extensions;
  for (let [pkg, requiredVersion] of Object.entries(packageData.resolutions)) {
    shared[pkg] = { requiredVersion };
  }
  for (let pkg of extensionPackages) {
    if (!shared[pkg]) {
      shared[pkg] = { requiredVersion: packageJson(pkg).version };
    }
  }
  const extraShared = [];
  for (let pkg of extensionPackages) {
    let pkgShared = {};
    let {
      dependencies = {},
      jupyterlab: { sharedPackages = {} } = {},
    } = packageJson(pkg);
    for (let [dep, requiredVersion] of Object.entries(dependencies)) {
      if (!shared[dep]) {
        pkgShared[dep] = { requiredVersion };
      }
    }
    for (let [dep, config] of Object.entries(sharedPackages)) {
      if (config === false) {
        delete pkgShared[dep];
      } else {
        if ('bundled' in config) {
          config.import = config.bundled;
          delete config.bundled;
        }
        pkgShared[dep] = config;
      }
    }
    extraShared.push(pkgShared);
  }
  const mergedShare = {};
  for (let sharedConfig of extraShared) {
    for (let [pkg, config] of Object.entries(sharedConfig)) {
      if (shared[pkg]) continue;
      if (!mergedShare[pkg]) {
        mergedShare[pkg] = config;
        continue;
      }
      if (mergedShare[pkg].import === false) mergedShare[pkg] = config;
    }
  }
  Object.assign(shared, mergedShare);
  for (let [pkg, { requiredVersion }] of Object.entries(shared)) {
    if (requiredVersion && requiredVersion.startsWith('file:')) {
      shared[pkg].requiredVersion = packageJson(pkg).version;
    }
  }
  for (let pkg of packageData.jupyterlab.singletonPackages) {
    if (shared[pkg]) shared[pkg].singleton = true;
  }
  return shared;
}

const allAssetConfig = [];
const allEntryPoints = {};
const allHtmlPlugins = [];

for (const [name, data] of Object.entries(liteAppData)) {
  const buildDir = path.join(GEN, name);
  fs.mkdirpSync(buildDir);
  const packageNames = data.jupyterlab.extensions;
  // schemas and themes into the static folder, style.js into .gen/<app>
  allAssetConfig.push(
    Build.ensureAssets({
      packageNames: packageNames.filter((pkg) => !LOCAL_PACKAGES[pkg]),
      packagePaths: packageNames.filter((pkg) => LOCAL_PACKAGES[pkg]).map((pkg) => LOCAL_PACKAGES[pkg]),
      output: buildDir,
      schemaOutput: STATIC,
      themeOutput: STATIC,
    }),
  );

  const extensions = {};
  const mimeExtensions = {};
  for (const key of packageNames) {
    const {
      jupyterlab: { extension, mimeExtension },
    } = packageJson(key);
    if (extension !== undefined) extensions[key] = extension === true ? '' : extension;
    if (mimeExtension !== undefined) {
      mimeExtensions[key] = mimeExtension === true ? '' : mimeExtension;
    }
  }
  const { appClassName, appModuleName, disabledExtensions } = data.jupyterlab;

  const template = Handlebars.compile(
    fs.readFileSync(path.join(APP, 'index.template.js')).toString(),
  );
  fs.writeFileSync(
    path.join(buildDir, 'index.js'),
    template({ name, appClassName, appModuleName, extensions, mimeExtensions, disabledExtensions }),
  );
  fs.copySync(path.join(APP, 'bootstrap.js'), path.join(buildDir, 'bootstrap.js'));
  fs.copySync(path.join(APP, 'publicpath.js'), path.join(buildDir, 'publicpath.js'));
  allEntryPoints[`${name}/bundle`] = path.join(buildDir, 'bootstrap.js');
  allEntryPoints[`${name}/publicpath`] = path.join(buildDir, 'publicpath.js');

  const indexTemplate = Handlebars.compile(
    fs.readFileSync(path.join(APP, 'index.template.html')).toString(),
  );
  fs.writeFileSync(path.join(buildDir, 'index.template.html'), indexTemplate({ name }));
  allHtmlPlugins.push(
    new HtmlRspackPlugin({
      inject: false,
      minify: false,
      title: data.jupyterlab.title,
      filename: `../${name}/index.html`,
      template: path.join(buildDir, 'index.template.html'),
      chunks: [`${name}/bundle`, `${name}/publicpath`],
      templateParameters: (params) => {
        const bundleFile = params.htmlRspackPlugin.files.js.find((f) =>
          f.includes(`${name}/bundle`),
        );
        const cacheBuster = bundleFile?.split('?')[1] ?? '';
        return { ...params, bundleFile, cacheBuster };
      },
    }),
  );
}

/** Statically compile all schemas into schemas/all.json (upstream verbatim). */
class CompileSchemasPlugin {
  apply(compiler) {
    compiler.hooks.done.tapAsync('CompileSchemasPlugin', (compilation, callback) => {
      const schemaDir = path.resolve(STATIC, './schemas');
      const files = glob.sync(`${schemaDir}/**/*.json`, {
        ignore: [`${schemaDir}/all*.json`],
      });
      const all = files.map((file) => {
        const schema = fs.readJSONSync(file);
        const pluginFile = file.replace(`${schemaDir}/`, '');
        const basename = path.basename(pluginFile, '.json');
        const dirname = path.dirname(pluginFile);
        const packageJson = fs.readJSONSync(path.resolve(schemaDir, dirname, 'package.json.orig'));
        return {
          id: `${dirname}:${basename}`,
          raw: '{}',
          schema,
          settings: {},
          version: packageJson.version,
        };
      });
      fs.writeFileSync(path.resolve(schemaDir, 'all.json'), JSON.stringify(all));
      callback();
    });
  }
}

/** The service worker must live at the site root (its scope). */
class ServiceWorkerPlugin {
  apply(compiler) {
    compiler.hooks.done.tapAsync('ServiceWorkerPlugin', (compilation, callback) => {
      fs.copyFileSync(path.join(STATIC, 'service-worker.js'), path.join(SITE, 'service-worker.js'));
      callback();
    });
  }
}

module.exports = [
  merge(baseConfig, {
    mode: PROD ? 'production' : 'development',
    devtool: PROD ? false : 'source-map',
    context: HERE,
    entry: allEntryPoints,
    resolve: {
      extensions: ['.ts', '.tsx', '.js', '...'],
      fallback: { util: false, path: require.resolve('path-browserify') },
      // one copy of each package (tfjs above all) for the app, the kernel and ../src: lite's own first
      modules: [path.join(HERE, 'node_modules'), 'node_modules'],
      alias: {
        ...BROWSER_SUBSTITUTES,
        ...LOCAL_PACKAGES,
        'plotly.js-dist-min': PLOTLY,
        // danfojs-node's core needs only the tfjs tensor API (as vendor/tfjs-node-shim says in Node)
        '@tensorflow/tfjs-node$': require.resolve('@tensorflow/tfjs'),
        typescript: TYPESCRIPT,
        '@tslab/typescript-for-tslab': TYPESCRIPT,
        // the base config's ProvidePlugin injects this into modules outside lite/ too (typescript)
        'process/browser': require.resolve('process/browser'),
      },
    },
    output: {
      path: STATIC,
      library: { type: 'var', name: ['_JUPYTERLAB', 'CORE_OUTPUT'] },
      filename: '[name].js?_=[contenthash:7]',
      chunkFilename: '[name].[contenthash:7].js',
      assetModuleFilename: '[name][ext][query]',
    },
    ignoreWarnings: [
      { module: /mathjax-full/, message: /__dirname/ },
      /license-webpack-plugin: could not find any license file for @(jupyterlite|jupyterlab|jupyter-notebook|jupyter|lumino|prunelab)\//,
      /license-webpack-plugin: could not find any license file for @microsoft\/fast-/,
      /license-webpack-plugin: could not find any license file for json-schema-merge-allof/,
      /license-webpack-plugin: could not find any license file for vega-lite/,
      // typescript.js's Node-only paths (its `sys`, plugin loading) never run in the kernel worker
      { module: /typescript[\\/]lib[\\/]typescript\.js/ },
      // tfjs bundles are large by design
      /asset size limit|entrypoint size limit|exceed the recommended size/,
    ],
    performance: { hints: false },
    module: {
      rules: [
        {
          test: /\.tsx?$/,
          exclude: /node_modules[\\/](?!@prunelab)/,
          loader: 'builtin:swc-loader',
          options: {
            jsc: {
              parser: { syntax: 'typescript', tsx: true },
              target: 'es2022',
            },
          },
          type: 'javascript/auto',
        },
        { resourceQuery: /raw/, type: 'asset/source' },
        {
          test: /fontawesome-free.*\.(svg|eot|ttf|woff)$/,
          exclude: /fontawesome-free.*\.woff2$/,
        },
        {
          test: /\.(jpe?g|png|gif|ico|eot|ttf|map|woff2?)(\?v=\d+\.\d+\.\d+)?$/i,
          type: 'asset/resource',
        },
        {
          resourceQuery: /text/,
          type: 'asset/resource',
          generator: { filename: '[name][ext]' },
        },
      ],
    },
    optimization: {
      moduleIds: 'deterministic',
      minimizer: [
        new rspack.SwcJsMinimizerRspackPlugin({ exclude: /prunelab-kernel-worker|tfjs-backend-wasm/ }),
        // tfjs-backend-wasm's threaded build is not identifier-minification safe:
        // it starts its pthread workers from `WasmBackendModuleThreadedSimd.toString()`
        new rspack.SwcJsMinimizerRspackPlugin({
          include: /prunelab-kernel-worker|tfjs-backend-wasm/,
          minimizerOptions: { mangle: false, compress: false },
        }),
        new rspack.LightningCssMinimizerRspackPlugin(),
      ],
      splitChunks: {
        chunks: 'all',
        cacheGroups: {
          // kept apart so that the minimizer below can leave its identifiers alone
          tfjs_wasm: {
            test: /[\\/]node_modules[\\/]@tensorflow[\\/]tfjs-backend-wasm[\\/]/,
            name: 'tfjs-backend-wasm',
            priority: 10,
            enforce: true,
          },
          jlab_core: {
            test: /[\\/]node_modules[\\/]@(jupyterlab|lumino(?!\/datagrid))[\\/]/,
            name: 'jlab_core',
          },
        },
      },
    },
    plugins: [
      ...licensePlugins,
      new ModuleFederationPlugin({
        library: { type: 'var', name: ['_JUPYTERLAB', 'CORE_LIBRARY_FEDERATION'] },
        name: 'CORE_FEDERATION',
        shared: Object.values(liteAppData).reduce((memo, data) => createShared(data, memo), {}),
      }),
      new CompileSchemasPlugin(),
      ...allHtmlPlugins,
      new ServiceWorkerPlugin(),
    ],
  }),
].concat(...allAssetConfig);
