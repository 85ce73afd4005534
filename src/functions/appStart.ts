import { app } from '@azure/functions';
import { startUp } from '../lib/startup';
import { services } from './services';

// HTTP streaming: request bodies reach the handlers as they arrive and response bodies leave as
// they are produced (a job's export of any size, at constant memory), instead of the host
// collecting each whole in memory. Needs host 4.28+ (Core Tools 4.0.5530+); npm start's local
// host forwards requests to the library's proxy the way the host does.
app.setup({ enableHttpStream: true });

// Start-up: storage set up and the model warmed, within Flex's 30 s (src/lib/startup.ts). App-start
// hooks get no invocation logger, so it logs to the console, which the host collects.
app.hook.appStart(async () => {
  await startUp(services());
});
