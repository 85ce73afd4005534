/**
 * The one Services object of this Functions app, built on first use (the host has applied the
 * app settings by then) and shared by every registration: SDK clients are meant to be reused,
 * and the model, its batcher and the per-process caches must be one per process.
 */
import { createServices, type Services } from '../lib/services';

let built: Services | undefined;

export const services = (): Services => (built ??= createServices());
