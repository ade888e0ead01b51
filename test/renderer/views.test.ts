// Views load as the operator heads for a link to them, not all at once after the first screen.
import { afterEach, describe, expect, it } from 'vitest';
import { prefetchOnIntent, viewOfHref } from '../../src/renderer/src/lib/views';

describe('viewOfHref', () => {
  it('names the view each dashboard link opens', () => {
    expect(viewOfHref('#/pair/acme')).toBe('pair');
    expect(viewOfHref('#/notifications')).toBe('notifications');
    expect(viewOfHref('#/audit')).toBe('audit');
    expect(viewOfHref('#/new')).toBe('edit');
    expect(viewOfHref('#/edit/acme')).toBe('edit');
    expect(viewOfHref('#/copy/acme')).toBe('edit');
    expect(viewOfHref('#/import')).toBe('import');
    expect(viewOfHref('#/maintenance')).toBe('maintenance');
    expect(viewOfHref('#/settings')).toBe('settings');
  });

  it('names none for the overview, other pages and no link', () => {
    expect(viewOfHref('#/')).toBeUndefined();
    expect(viewOfHref('#/pair/')).toBeUndefined();
    expect(viewOfHref('https://example.org/')).toBeUndefined();
    expect(viewOfHref(null)).toBeUndefined();
  });
});

describe('prefetchOnIntent', () => {
  let stop: (() => void) | undefined;
  afterEach(() => {
    stop?.();
    document.body.replaceChildren();
  });

  /** Listeners added to the target, by event type; the handler is called as the browser would. */
  function recordingTarget(): { target: Pick<Document, 'addEventListener' | 'removeEventListener'>; types: string[] } {
    const types: string[] = [];
    const target = {
      addEventListener: (type: string, listener: EventListenerOrEventListenerObject, opts?: unknown) => {
        types.push(type);
        document.addEventListener(type, listener, opts as AddEventListenerOptions);
      },
      removeEventListener: (type: string, listener: EventListenerOrEventListenerObject) => {
        types.splice(types.indexOf(type), 1);
        document.removeEventListener(type, listener);
      },
    } as Pick<Document, 'addEventListener' | 'removeEventListener'>;
    return { target, types };
  }

  it('listens for a pointer over a link and for keyboard focus, and stops when asked', () => {
    const { target, types } = recordingTarget();
    stop = prefetchOnIntent(target);
    expect(types.sort()).toEqual(['focusin', 'pointerover']);
    stop();
    stop = undefined;
    expect(types).toEqual([]);
  });

  it('a pointer over (an element inside) a link to the overview or elsewhere loads nothing and throws nothing', () => {
    stop = prefetchOnIntent(document);
    document.body.innerHTML = '<a href="#/"><span id="in">Overview</span></a><a href="https://example.org/">out</a>';
    for (const el of document.querySelectorAll('span, a')) {
      expect(() => el.dispatchEvent(new Event('pointerover', { bubbles: true }))).not.toThrow();
    }
  });
});
