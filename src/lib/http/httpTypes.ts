/**
 * What the domain needs of an HTTP request and gives back as an answer, as plain types: the
 * Fetch API's shapes, which the Functions library's HttpRequest and HttpResponseInit have too.
 * src/functions passes its HttpRequest straight in; src/lib never imports @azure/functions, so
 * its HTTP code is tested with plain objects.
 */
export interface HttpInput {
  readonly url: string;
  readonly headers: { get(name: string): string | null };
  readonly query: URLSearchParams;
  readonly body: BodyStream | null;
}

/** The part of a web ReadableStream of bytes that the body reader uses. */
export interface BodyStream {
  getReader(): {
    read(): Promise<{ done: boolean; value?: Uint8Array }>;
    cancel(): Promise<void>;
  };
}

export interface HttpAnswer {
  status: number;
  jsonBody?: unknown;
  headers?: Record<string, string>;
}
