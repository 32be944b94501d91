// Lowest-free search over a pool's ranges without enumerating them. Within one allocation run the
// held set only grows after the cursor is created (releases happen first), so the lowest free
// address never moves backwards and one forward walk serves every request: O(held + taken) per pool
// and family, whatever the pool's size.
import type { AddressRange, IPFamily } from '../net/index.ts';
import { isBuggyIP, type PoolSpec } from './pool.ts';

/** Walks one family of a pool upwards, handing out addresses for which `isHeld` is false. */
export class FreeCursor {
  readonly #ranges: readonly AddressRange[];
  readonly #family: IPFamily;
  readonly #avoidBuggy: boolean;
  readonly #isHeld: (value: bigint) => boolean;
  #rangeIndex = 0;
  #next: bigint | undefined;

  constructor(pool: PoolSpec, family: IPFamily, isHeld: (value: bigint) => boolean) {
    this.#ranges = pool.ranges.filter((r) => r.first.family === family);
    this.#family = family;
    this.#avoidBuggy = pool.avoidBuggyIPs && family === 4;
    this.#isHeld = isHeld;
  }

  /** The lowest address not held and not yet handed out, or undefined when the pool is exhausted. */
  take(): bigint | undefined {
    while (this.#rangeIndex < this.#ranges.length) {
      const r = this.#ranges[this.#rangeIndex] as AddressRange;
      let v = this.#next === undefined || this.#next < r.first.value ? r.first.value : this.#next;
      while (v <= r.last.value) {
        if (!this.#isHeld(v) && !(this.#avoidBuggy && isBuggyIP({ family: this.#family, value: v }))) {
          this.#next = v + 1n;
          return v;
        }
        v++;
      }
      this.#next = v;
      this.#rangeIndex++;
    }
    return undefined;
  }
}
