// HTTP streaming on, as the app turns it on: requests reach the handlers through the
// library's own proxy server, and response bodies are streams.
const { app } = require('@azure/functions');

app.setup({ enableHttpStream: true });

app.http('echo', {
  methods: ['POST'],
  route: 'echo',
  handler: async (request) => {
    let bytes = 0;
    for await (const chunk of request.body) bytes += chunk.length;
    return {
      status: 201,
      headers: { 'x-echo': 'yes' },
      jsonBody: {
        bytes,
        url: request.url,
        q: request.query.get('q'),
        header: request.headers.get('x-custom'),
        id: request.params.id ?? null,
      },
    };
  },
});

app.http('item', {
  methods: ['GET'],
  route: 'items/{id}',
  handler: async (request) => ({ jsonBody: { id: request.params.id, q: request.query.get('q') } }),
});

/** A body written over a second, one chunk every 100 ms: a buffered host would hold it all. */
app.http('slow', {
  methods: ['GET'],
  route: 'slow',
  handler: async () => ({
    body: new ReadableStream({
      i: 0,
      async pull(controller) {
        await new Promise((r) => setTimeout(r, 100));
        controller.enqueue(new TextEncoder().encode(`chunk ${this.i}\n`));
        if (++this.i === 10) controller.close();
      },
    }),
  }),
});

app.http('boom', {
  methods: ['GET'],
  route: 'boom',
  handler: async () => {
    throw new Error('boom on purpose');
  },
});

/** Answers at once, without reading the body (as a handler refusing a Content-Length does). */
app.http('refuse', {
  methods: ['POST'],
  route: 'refuse',
  handler: async () => ({ status: 413, jsonBody: { error: 'too large' } }),
});
