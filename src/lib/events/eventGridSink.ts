/**
 * The Event Grid sink: the app's events to a topic in the CloudEvents 1.0 schema, through the
 * Azure SDK's publisher client signed with the app's managed identity (the topic grants it
 * `EventGrid Data Sender` and nothing more; infra/main.bicep). Event Grid then delivers to
 * whatever subscribes: a Logic App, a function, a webhook (docs/deploy.md).
 */
import { EventGridPublisherClient } from '@azure/eventgrid';
import type { TokenCredential } from '@azure/identity';
import type { CloudEvent } from './cloudEvents';
import { SinkError } from './sinkError';

export class EventGridSink {
  private readonly client: EventGridPublisherClient<'CloudEvent'>;

  constructor(endpoint: string, credential: TokenCredential) {
    this.client = new EventGridPublisherClient(endpoint, 'CloudEvent', credential);
  }

  async send(events: readonly CloudEvent[]): Promise<void> {
    try {
      await this.client.send(
        events.map((e) => ({
          id: e.id,
          source: e.source,
          type: e.type,
          subject: e.subject,
          time: new Date(e.time),
          datacontenttype: e.datacontenttype,
          data: e.data,
        })),
      );
    } catch (err) {
      // The SDK's RestError carries the HTTP status; a network failure has none.
      const status = (err as { statusCode?: number }).statusCode;
      throw new SinkError(`Event Grid did not take the events: ${(err as Error).message}`, {
        // 401/403: the role is missing (fix the deployment, then replay); 400/413: the event itself.
        retryable: status === undefined || status === 408 || status === 429 || status >= 500,
      });
    }
  }
}
