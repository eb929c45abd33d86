// Memos keyed by objects that live only as long as one file's lint: its statements, its document, a
// statement, the column states of one history. They have a WeakMap's get/set/has/delete, but keep each
// value on its key, so that a value dies with its key in V8's young-generation GCs: every key gets one
// non-enumerable property, a bag that all the memos share, and each memo keeps its value in the bag
// under its own symbol.
//
// A long-lived WeakMap does not give that. In Node 20's V8, a scavenge keeps the value of every entry of
// an old-generation WeakMap alive, whether or not its young key is still reachable: the value is copied,
// then promoted, and only a full mark-compact frees it. Measured on 20,000 short-lived keys with a
// 100-object value each (bench-style script, --trace-gc-nvp): promoted 9 MB and 28 ms of scavenges
// without the memo, 8 MB and 26 ms with the value on the key, 40 MB and 162 ms with a module-level
// WeakMap. The engine's per-file memos were such WeakMaps: every file's facts, lock tables and
// statement indexes were promoted (see docs/performance.md).
//
// One bag per key, not a property per memo: Object.defineProperty costs ~1-3 µs in baseline code, and a
// file's statement list is the key of six memos (one defineProperty per list instead of six: a corpus
// run's ~14,000 sets went from 42-56 to 38-44 ms, timed with their instrumentation). Keys that cannot take a property (frozen, sealed) fall back to a
// WeakMap; a key must not be frozen after a value was set on it (the engine freezes nothing it
// memoizes on). Object spread and Object.assign copy only enumerable properties, so the bag never
// travels to a copy of its key.

/** The bag on a key: the values of every KeyedMemo that holds one for it, each under the memo's symbol. */
const BAG = Symbol('zdm.memo');

type Bag = Record<symbol, unknown>;

export class KeyedMemo<K extends object, V> {
  private readonly slot: symbol;
  private fallback: WeakMap<K, V> | undefined;

  constructor(name = 'memo') {
    this.slot = Symbol(name);
  }

  get(key: K): V | undefined {
    // The engine's memos never hold undefined, and keys that fell back to the WeakMap (frozen ones)
    // are rare: the common miss costs no second lookup.
    const bag = (key as Record<symbol, Bag | undefined>)[BAG];
    const value = bag === undefined ? undefined : (bag[this.slot] as V | undefined);
    return value !== undefined || this.fallback === undefined ? value : this.fallback.get(key);
  }

  has(key: K): boolean {
    const bag = (key as Record<symbol, Bag | undefined>)[BAG];
    return (bag !== undefined && this.slot in bag) || (this.fallback?.has(key) ?? false);
  }

  set(key: K, value: V): this {
    let bag = (key as Record<symbol, Bag | undefined>)[BAG];
    if (bag === undefined) {
      if (!Object.isExtensible(key)) {
        (this.fallback ??= new WeakMap()).set(key, value);
        return this;
      }
      bag = {};
      Object.defineProperty(key, BAG, { value: bag, writable: false, configurable: true, enumerable: false });
    }
    bag[this.slot] = value;
    return this;
  }

  delete(key: K): boolean {
    const bag = (key as Record<symbol, Bag | undefined>)[BAG];
    if (bag !== undefined && this.slot in bag) return delete bag[this.slot];
    return this.fallback?.delete(key) ?? false;
  }
}
