// For jsdom tests of the timeline: jsdom lays nothing out, so the view gets a fixed size (600 × 800 px) for the
// virtualiser, and resize observers that report only when a test plays a layout change (`resizeObservers`).

/** A resize observer made since the last `resetLayout`, and what it watches. */
export interface PlayedObserver {
  callback: ResizeObserverCallback;
  targets: Set<Element>;
}
export const resizeObservers: PlayedObserver[] = [];

export function fixedLayout(): void {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
  globalThis.ResizeObserver = class {
    private readonly played: PlayedObserver;
    constructor(callback: ResizeObserverCallback) {
      this.played = { callback, targets: new Set() };
      resizeObservers.push(this.played);
    }
    observe(target: Element) {
      this.played.targets.add(target);
    }
    unobserve(target: Element) {
      this.played.targets.delete(target);
    }
    disconnect() {
      this.played.targets.clear();
    }
  } as unknown as typeof ResizeObserver;
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 600 });
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 800 });
}

export function resetLayout(): void {
  resizeObservers.length = 0;
}
