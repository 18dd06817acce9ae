/** Session magics: `%lsmagic`, `%backend`, `%seed`. */
import { BACKEND_PREFERENCE, currentBackend, initBackend } from '../../backend';
import { escapeHtml, rawBundle } from '../../report/display';
import { defineMagic, listMagics, lsmagicText, supportsForm } from '../registry';
import { magicSeed, setMagicSeed } from '../state';

defineMagic({
  name: 'lsmagic',
  summary: 'List the available magics.',
  args: [],
  examples: ['%lsmagic'],
  api: 'pl.magics.listMagics().map((m) => m.name)',
  run() {
    const rows = listMagics()
      .map((m) => {
        const forms = [supportsForm(m, 'line') ? `%${m.name}` : '', supportsForm(m, 'cell') ? `%%${m.name}` : ''].filter(Boolean).join(' ');
        return `<tr><td style="text-align:left"><code>${escapeHtml(forms)}</code></td><td style="text-align:left">${escapeHtml(m.summary)}</td></tr>`;
      })
      .join('');
    return rawBundle({
      'text/plain': lsmagicText(),
      'text/html': `<table><thead><tr><th style="text-align:left">magic</th><th style="text-align:left">what it does</th></tr></thead><tbody>${rows}</tbody></table><p>Run <code>%name?</code> for the arguments of a magic.</p>`,
    });
  },
});

defineMagic({
  name: 'backend',
  summary: 'Show the compute backend, or switch to another one.',
  args: [{ name: 'name', kind: 'positional', required: false, choices: BACKEND_PREFERENCE, help: 'Backend to switch to; without it, show the current one.' }],
  examples: ['%backend cpu', '%backend'],
  api: "await pl.initBackend('cpu');   // pl.currentBackend() shows the active one",
  async run({ args }, ctx) {
    const name = args.name as string | undefined;
    if (name) await initBackend(name);
    ctx.print(`backend: ${currentBackend()} (preference order: ${BACKEND_PREFERENCE.join(' > ')})`);
    return undefined;
  },
});

defineMagic({
  name: 'seed',
  summary: 'Set the default seed of %data, %model, %prune and %finetune (show it without N).',
  args: [{ name: 'n', kind: 'positional', type: 'int', required: false, help: 'The seed (an integer).' }],
  examples: ['%seed 42'],
  api: "pl.createModel('lenet-300-100', { seed: 42 }); // the API takes a seed per call",
  run({ args }, ctx) {
    if (args.n !== undefined) setMagicSeed(args.n as number);
    ctx.print(`seed: ${magicSeed()}`);
    return undefined;
  },
});
