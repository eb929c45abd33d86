// Memos keyed by objects that live only as long as one file's lint: its statements, its document, a
// statement, the column states of one history. They have a WeakMap's get/set/has/delete, but keep each
// value on its key (a non-enumerable property under the memo's own symbol), so that a value dies with
// its key in V8's young-generation GCs.
//
// A long-lived WeakMap does not give that. In Node 20's V8, a scavenge keeps the value of every entry of
// an old-generation WeakMap alive, whether or not its young key is still reachable: the value is copied,
// then promoted, and only a full mark-compact frees it. Measured on 20,000 short-lived keys with a
// 100-object value each (bench-style script, --trace-gc-nvp): promoted 9 MB and 28 ms of scavenges
// without the memo, 8 MB and 26 ms with the value on the key, 40 MB and 162 ms with a module-level
// WeakMap. The engine's per-file memos were such WeakMaps: every file's facts, lock tables and
// statement indexes were promoted (see docs/performance.md).
//
// Keys that cannot take a property (frozen, sealed) fall back to a WeakMap; a key must not be frozen
// after a value was set on it (the engine freezes nothing it memoizes on). Object spread and
// Object.assign copy only enumerable properties, so a memoized value never travels to a copy of its key.

export class KeyedMemo<K extends object, V> {
  private readonly slot: symbol;
  private fallback: WeakMap<K, V> | undefined;

  constructor(name = 'memo') {
    this.slot = Symbol(name);
  }

  get(key: K): V | undefined {
    // One property load: the engine's memos never hold undefined, and keys that fell back to the
    // WeakMap (frozen ones) are rare, so the common miss costs no second lookup.
    const value = (key as Record<symbol, V | undefined>)[this.slot];
    return value !== undefined || this.fallback === undefined ? value : this.fallback.get(key);
  }

  has(key: K): boolean {
    return this.slot in key || (this.fallback?.has(key) ?? false);
  }

  set(key: K, value: V): this {
    if (this.slot in key) {
      (key as Record<symbol, V>)[this.slot] = value;
    } else if (Object.isExtensible(key)) {
      Object.defineProperty(key, this.slot, { value, writable: true, configurable: true, enumerable: false });
    } else {
      (this.fallback ??= new WeakMap()).set(key, value);
    }
    return this;
  }

  delete(key: K): boolean {
    if (this.slot in key) return delete (key as Record<symbol, unknown>)[this.slot];
    return this.fallback?.delete(key) ?? false;
  }
}
