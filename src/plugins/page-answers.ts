// What a page's build may answer besides its data (plugins/views.ts, reply.page): a redirect, or a
// view made as its content is rendered.

/** What a cached page's build answers instead of data when the page lives elsewhere (a merged actor). */
export class PageRedirect {
  readonly location: string;
  readonly statusCode: 301 | 302 | 303 | 307 | 308;

  constructor(location: string, statusCode: PageRedirect['statusCode']) {
    this.location = location;
    this.statusCode = statusCode;
  }
}

export function pageRedirect(location: string, statusCode: PageRedirect['statusCode']): PageRedirect {
  return new PageRedirect(location, statusCode);
}

/**
 * What a page's build may answer instead of its data: a function that makes the data, called in the
 * same turn of the event loop as the page's content is rendered. An async build's answer reaches the
 * renderer a microtask later, behind the microtasks already queued: under load, those of every
 * request whose statements answered in the same socket read (postgres.js pipelines them). A view
 * model made before that step could outlive two young collections and be promoted to the old
 * generation with what the render made of it: the national report promoted 53 / 50 kB a request,
 * 13 / 13 kB with its view made here (bench/PAGE-COSTS.md, session 48; the home page and the shared
 * actors did not move). Read a page's inputs in its build; make its view model in the function given
 * here.
 */
export class PageView<D extends Record<string, unknown>> {
  readonly make: () => D;

  constructor(make: () => D) {
    this.make = make;
  }
}

export function pageView<D extends Record<string, unknown>>(make: () => D): PageView<D> {
  return new PageView(make);
}

/** A build's answer as the template's data: a view made now, a redirect, or the data as it is. */
export function madeNow<D extends Record<string, unknown>>(answer: D | PageView<D> | PageRedirect): D | PageRedirect {
  return answer instanceof PageView ? answer.make() : answer;
}
