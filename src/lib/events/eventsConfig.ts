/**
 * Where events go, from the app's settings (docs/events.md): a Standard Webhooks endpoint, an
 * Event Grid topic, or both; whether each result gets an event or only each job. Read once per
 * process, checked where it is read: a webhook without its secret or with a malformed one
 * stops the start instead of sending unsigned or unverifiable events.
 */
export type SinkName = 'webhook' | 'eventGrid';

export interface EventsConfig {
  webhook?: { url: string; secret: Buffer };
  /** An Event Grid topic's endpoint in the CloudEvents schema (`https://<topic>.<region>-1.eventgrid.azure.net/api/events`). */
  eventGridEndpoint?: string;
  /** One `ImageClassifier.ResultCompleted` per finished result, besides one `JobCompleted` per job. */
  perResult: boolean;
  /** The app's public URL, for the links in job events. */
  publicUrl?: string;
}

type Env = Record<string, string | undefined>;

export function eventsConfigFromEnv(env: Env = process.env): EventsConfig {
  const url = env.CLASSIFIER_EVENTS_WEBHOOK_URL || undefined;
  const secretText = env.CLASSIFIER_EVENTS_WEBHOOK_SECRET || undefined;
  if (url && !/^https?:\/\/[^\s]+$/.test(url))
    throw new Error(`CLASSIFIER_EVENTS_WEBHOOK_URL must be an http(s) URL; found "${url}".`);
  if (url && !secretText)
    throw new Error(
      'CLASSIFIER_EVENTS_WEBHOOK_URL is set without CLASSIFIER_EVENTS_WEBHOOK_SECRET: set a whsec_ secret ' +
        '(for example whsec_ followed by `openssl rand -base64 32`) so the receiver can verify every event.',
    );
  const perResult = env.CLASSIFIER_EVENTS_PER_RESULT ?? 'false';
  if (!/^(true|false)$/i.test(perResult))
    throw new Error(`CLASSIFIER_EVENTS_PER_RESULT must be true or false; found "${perResult}".`);
  const endpoint = env.CLASSIFIER_EVENTS_TOPIC_ENDPOINT || undefined;
  if (endpoint && !/^https:\/\/[^\s]+$/.test(endpoint))
    throw new Error(
      `CLASSIFIER_EVENTS_TOPIC_ENDPOINT must be the topic's https endpoint; found "${endpoint}".`,
    );
  return {
    webhook: url ? { url, secret: webhookSecret(secretText!) } : undefined,
    eventGridEndpoint: endpoint,
    perResult: perResult.toLowerCase() === 'true',
    publicUrl:
      env.CLASSIFIER_PUBLIC_URL?.replace(/\/+$/, '') ||
      (env.WEBSITE_HOSTNAME ? `https://${env.WEBSITE_HOSTNAME}` : undefined),
  };
}

/** The sinks this configuration sends to. */
export function configuredSinks(config: EventsConfig): SinkName[] {
  return [
    ...(config.webhook ? (['webhook'] as const) : []),
    ...(config.eventGridEndpoint ? (['eventGrid'] as const) : []),
  ];
}

/** A Standard Webhooks secret: `whsec_` and base64 of 24 to 64 random bytes. */
function webhookSecret(text: string): Buffer {
  const m = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(text);
  const bytes = m ? Buffer.from(m[1], 'base64') : Buffer.alloc(0);
  if (bytes.length < 24 || bytes.length > 64)
    throw new Error(
      'CLASSIFIER_EVENTS_WEBHOOK_SECRET must be whsec_ followed by base64 of 24 to 64 random bytes ' +
        '(for example: echo "whsec_$(openssl rand -base64 32)").',
    );
  return bytes;
}
