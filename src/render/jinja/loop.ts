/** The `loop` object of `{% for %}` blocks, with Jinja2's attributes. */
import { pyError } from '../errors.js';
import { MISSING, PyCallable, SpannedStr, Undef, pyEq, tuple } from './values.js';

export class LoopCtx {
  index0 = 0;
  private lastChanged: unknown = MISSING;
  constructor(
    readonly items: unknown[],
    readonly depth0: number,
    readonly recurse: ((items: unknown) => string | SpannedStr) | null,
  ) {}
  attr(name: string): unknown {
    const i = this.index0;
    const n = this.items.length;
    switch (name) {
      case 'index':
        return i + 1;
      case 'index0':
        return i;
      case 'revindex':
        return n - i;
      case 'revindex0':
        return n - i - 1;
      case 'first':
        return i === 0;
      case 'last':
        return i === n - 1;
      case 'length':
        return n;
      case 'depth':
        return this.depth0 + 1;
      case 'depth0':
        return this.depth0;
      case 'previtem':
        return i > 0 ? this.items[i - 1] : new Undef('there is no previous item');
      case 'nextitem':
        return i < n - 1 ? this.items[i + 1] : new Undef('there is no next item');
      case 'cycle':
        return new PyCallable('cycle', (args) => {
          if (!args.length) throw pyError('TypeError', 'no items for cycling given');
          return args[i % args.length];
        });
      case 'changed':
        return new PyCallable('changed', (args) => {
          const val = tuple(args.slice());
          if (this.lastChanged !== MISSING && pyEq(this.lastChanged, val)) return false;
          this.lastChanged = val;
          return true;
        });
    }
    return new Undef(`'LoopContext object' has no attribute '${name}'`);
  }
}
