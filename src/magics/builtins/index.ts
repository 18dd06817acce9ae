/** Registers the built-in magics (importing this module is enough). */
import './basic';
import './time';
import './data';
import './model';
import './prune';
import './finetune';
import './sparsity';
import './plot';
import './speedup';
import './xmode';
import './sweep';
