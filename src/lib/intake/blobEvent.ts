/**
 * Adapts a blob trigger invocation (content plus the host's trigger metadata) to acceptBlob.
 * The host passes blob properties in its own casing (`ETag`, `ContentLength` from .NET, which
 * the library camel-cases to `eTag`, `contentLength`), so keys are matched case-insensitively.
 */
import type { InvocationContext } from '@azure/functions';
import { acceptBlob } from './acceptBlob';

export async function acceptBlobEvent(
  container: string,
  content: unknown,
  context: InvocationContext,
): Promise<void> {
  const meta = context.triggerMetadata ?? {};
  const path = typeof meta.blobTrigger === 'string' ? meta.blobTrigger : '';
  const name = path.startsWith(`${container}/`) ? path.slice(container.length + 1) : text(meta.name);
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(typeof content === 'string' ? content : '');
  const properties = (meta.properties ?? {}) as Record<string, unknown>;
  const size = Number(pick(properties, 'contentlength', 'length') ?? bytes.length);
  const etag = pick(properties, 'etag') as string | undefined;
  const contentType = pick(properties, 'contenttype') as string | undefined;
  const started = performance.now();
  const { id, outcome } = await acceptBlob({
    container,
    name,
    size,
    head: bytes.subarray(0, 64),
    etag,
    contentType,
  });
  context.log(
    `blob ${container}/${name} (${size} bytes) -> ${outcome}${id ? ` as ${id}` : ''} in ${Math.round(performance.now() - started)} ms`,
  );
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

function pick(obj: Record<string, unknown>, ...keys: string[]): unknown {
  for (const [key, value] of Object.entries(obj)) {
    if (keys.includes(key.toLowerCase().replace(/_/g, ''))) return value;
  }
  return undefined;
}
