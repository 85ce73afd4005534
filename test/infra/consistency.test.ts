/**
 * Keeps infra/ and scripts/ in step with the code: storage names, app settings, runtime, roles
 * and the blob-trigger names the postdeploy hook subscribes. Reads files only (Bicep as text,
 * comments stripped); nothing here compiles Bicep or reaches Azure.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { blobEventSubscriptions, storageNames, watchedContainers } from '../../src/lib/storage/names';
import { DEFAULT_LIMITS } from '../../src/lib/decode/limits';
import { jsonLimitFor } from '../../src/lib/sync/base64Image';

const ROOT = path.resolve(__dirname, '../..');

/** Read by the code but never set in Azure: local-only, or set by the platform. */
const LOCAL_ONLY_ENV = new Set([
  'PORT',
  'AzureWebJobsStorage',
  'CI',
  'HOME',
  'XDG_CACHE_HOME',
  'NODE_ENV',
  // Knobs of the local host behind npm start (src/local), never set in Azure.
  'LOCAL_QUEUE_LEASE_SECONDS',
  'LOCAL_AZURITE_DATA',
  'LOCAL_HOST_ADDRESS',
  // Fault hooks of the tests (src/lib/model/modelSession.ts, src/lib/decode/decoderProcess.ts), never set in Azure.
  'INFERENCE_FAULTS',
  'DECODE_FAULTS',
]);
// AzureFunctionsJobHost__* / AzureFunctionsWebHost__* are Functions host settings, read by src/local's emulation of the host.
const PLATFORM_ENV_PREFIXES = [
  'WEBSITE_',
  'FUNCTIONS_',
  'AzureFunctionsJobHost',
  'AzureFunctionsWebHost',
  'APPSETTING_',
];

/** Built-in role definition ids: https://learn.microsoft.com/azure/role-based-access-control/built-in-roles */
const KNOWN_ROLES: Record<string, string> = {
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
  'd5a91429-5739-47e2-a06b-3470a27159e7': 'EventGrid Data Sender',
};

function filesUnder(dir: string, ext: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return filesUnder(full, ext);
    return full.endsWith(ext) ? [full] : [];
  });
}

/** Drops // and /* *\/ comments, leaving string literals (which may contain //, as URLs do) intact. */
function stripComments(text: string): string {
  return text.replace(
    /('(?:\\.|[^'\\\n])*')|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g,
    (match, str: string | undefined) => str ?? '',
  );
}

const read = (file: string): string => readFileSync(file, 'utf8');
const bicepFiles = filesUnder(path.join(ROOT, 'infra'), '.bicep');
const bicepRaw = bicepFiles.map(read).join('\n');
const bicep = stripComments(bicepRaw);
const mainBicep = stripComments(read(path.join(ROOT, 'infra/main.bicep')));

/** The string items of `var <name> = [ ... ]` in main.bicep. */
function bicepArrayVar(name: string): string[] {
  const match = new RegExp(`var\\s+${name}\\s*=\\s*\\[([^\\]]*)\\]`).exec(mainBicep);
  if (!match) throw new Error(`infra/main.bicep declares no "var ${name} = [...]".`);
  return [...match[1].matchAll(/'([^']*)'/g)].map((m) => m[1]);
}

/** The body of the `{ ... }` that starts at `open`, matching nested braces. */
function braceBody(text: string, open: number): string {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    if (text[i] === '}' && --depth === 0) return text.slice(open + 1, i);
  }
  throw new Error(`Unbalanced braces in infra Bicep after: ${text.slice(open, open + 80)}`);
}

/** Keys of every app-settings object: `appSettings: {...}` and `var <x>Settings = {...}`. */
function bicepAppSettings(): Set<string> {
  const names = new Set<string>();
  for (const m of bicep.matchAll(/(?:\bappSettings\s*:|\bvar\s+\w*[sS]ettings\s*=)\s*\{/g)) {
    const body = braceBody(bicep, m.index + m[0].length - 1);
    for (const key of body.matchAll(/^\s*'?([A-Za-z_][A-Za-z0-9_]*)'?\s*:/gm)) names.add(key[1]);
  }
  return names;
}

/** Environment variable names the code under src/ reads. */
function envNamesReadBySrc(): Map<string, string> {
  const found = new Map<string, string>();
  const patterns = [
    /process\.env\.([A-Za-z_][A-Za-z0-9_]*)/g,
    /process\.env\[\s*['"`]([A-Za-z_][A-Za-z0-9_]*)['"`]\s*\]/g,
    // Helpers such as intFromEnv('CLASSIFIER_MAX_BYTES', ...) that read process.env[name].
    /\w*[eE]nv\w*\(\s*['"`]([A-Z][A-Z0-9_]*)['"`]/g,
  ];
  for (const file of filesUnder(path.join(ROOT, 'src'), '.ts')) {
    const text = read(file);
    for (const pattern of patterns) {
      for (const m of text.matchAll(pattern)) found.set(m[1], path.relative(ROOT, file));
    }
  }
  return found;
}

/** Whether a package.json engines range (>=, >, <=, <, =, ^, ~, x, ||) admits a version. */
function rangeAllows(range: string, version: string): boolean {
  const parse = (v: string): number[] =>
    v
      .replace(/^v/, '')
      .split('.')
      .map((p) => (/^\d+$/.test(p) ? Number(p) : 0));
  const cmp = (a: number[], b: number[]): number => {
    for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
    return 0;
  };
  const v = parse(version);
  return range.split('||').some((alt) =>
    alt
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .every((c) => {
        const m = /^(>=|<=|>|<|=|\^|~)?\s*v?([\dxX*]+(?:\.[\dxX*]+)*)$/.exec(c);
        if (!m) throw new Error(`Cannot read the engines.node comparator "${c}".`);
        const [op = '=', raw] = [m[1], m[2]];
        const parts = raw.split('.');
        const wild = parts.findIndex((p) => /^[xX*]$/.test(p));
        const b = parse(raw);
        if (op === '^' || op === '~' || (op === '=' && (wild >= 0 || parts.length < 3))) {
          const fixed =
            op === '^' ? 1 : op === '~' ? Math.min(2, parts.length) : wild >= 0 ? wild : parts.length;
          return cmp(v, b) >= 0 && v.slice(0, fixed).every((n, i) => n === b[i]);
        }
        const d = cmp(v, b);
        return { '>=': d >= 0, '<=': d <= 0, '>': d > 0, '<': d < 0, '=': d === 0 }[op] ?? false;
      }),
  );
}

describe('infra/ declares what the code uses', () => {
  it('declares every container, queue and table of src/lib/storage/names.ts', () => {
    const declared = {
      Container: bicepArrayVar('blobContainerNames'),
      Queue: bicepArrayVar('queueNames'),
      Table: bicepArrayVar('tableNames'),
    };
    const missing = Object.entries(storageNames).flatMap(([key, name]) => {
      const kind = (['Container', 'Queue', 'Table'] as const).find((k) => key.endsWith(k));
      if (!kind)
        throw new Error(`storageNames.${key} ends in none of Container, Queue, Table; extend this test.`);
      return declared[kind].includes(name) ? [] : [`${kind.toLowerCase()} "${name}" (storageNames.${key})`];
    });
    expect(missing).toEqual([]);
    expect(mainBicep).toMatch(/containers:\s*concat\(\s*blobContainerNames\b/);
    expect(mainBicep).toMatch(/queues:\s*queueNames\b/);
    expect(mainBicep).toMatch(/tables:\s*tableNames\b/);
  });

  it('sets every environment variable the code under src/ reads as an app setting', () => {
    const settings = bicepAppSettings();
    const missing = [...envNamesReadBySrc()]
      .filter(([name]) => !LOCAL_ONLY_ENV.has(name) && !PLATFORM_ENV_PREFIXES.some((p) => name.startsWith(p)))
      .filter(([name]) => !settings.has(name))
      .map(([name, file]) => `${name} (read in ${file})`);
    expect(missing).toEqual([]);
  });

  it('caps request bodies at what the largest accepted request needs (a base64 image of the byte limit)', () => {
    const value = /^\s*FUNCTIONS_REQUEST_BODY_SIZE_LIMIT:\s*'(\d+)'/m.exec(mainBicep)?.[1];
    expect(value).toBe(String(jsonLimitFor(DEFAULT_LIMITS.maxBytes)));
  });

  it('uses identity-based AzureWebJobsStorage settings and the contract app settings', () => {
    const settings = bicepAppSettings();
    for (const name of [
      'AzureWebJobsStorage__credential',
      'AzureWebJobsStorage__clientId',
      'AzureWebJobsStorage__blobServiceUri',
      'AzureWebJobsStorage__queueServiceUri',
      'AzureWebJobsStorage__tableServiceUri',
      'CLASSIFIER_MODEL',
      'MODEL_CACHE_DIR',
      'UPLOAD_ALLOWED_ORIGINS',
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
    ]) {
      expect({ name, declared: settings.has(name) }).toEqual({ name, declared: true });
    }
    expect(bicep).toMatch(/AzureWebJobsStorage__credential:\s*'managedidentity'/);
    expect(settings.has('AzureWebJobsStorage')).toBe(false);
    expect(mainBicep).toMatch(/MODEL_CACHE_DIR:\s*'\/home\/site\/wwwroot\/models\/cache'/);
  });

  it('runs Node 22 on a Flex Consumption plan, which package.json engines allow', () => {
    expect(mainBicep).toMatch(/runtimeName:\s*'node'/);
    expect(mainBicep).toMatch(/runtimeVersion:\s*'22'/);
    expect(mainBicep).toMatch(/param\s+instanceMemoryMB\s+int\s*=\s*2048/);
    expect(bicep).toMatch(/name:\s*'FC1'[\s\S]*?tier:\s*'FlexConsumption'/);
    const engines = (JSON.parse(read(path.join(ROOT, 'package.json'))) as { engines?: { node?: string } })
      .engines;
    expect(engines?.node).toBeDefined();
    expect(rangeAllows(engines?.node ?? '', '22.0.0')).toBe(true);
  });

  it("bounds the maximum instance count by Flex Consumption's own limits (40 to 1000)", () => {
    // Below 40 the deployment fails in the platform, after everything before it was created.
    expect(mainBicep).toMatch(
      /@minValue\(40\)\s*@maxValue\(1000\)\s*@description\('[^']*'\)\s*param\s+maximumInstanceCount\s+int\b/,
    );
    const parameters = read(path.join(ROOT, 'infra/main.parameters.json'));
    expect(parameters).toMatch(/"\$\{MAXIMUM_INSTANCE_COUNT=(4\d|[5-9]\d|\d{3,})\}"/);
  });

  it("lets the extra upload origins call the API too (the site's CORS), not only PUT to storage", () => {
    expect(mainBicep).toMatch(/corsAllowedOrigins:\s*additionalUploadOrigins\b/);
    const site = stripComments(read(path.join(ROOT, 'infra/core/host/functions-flexconsumption.bicep')));
    expect(site).toMatch(/siteConfig:\s*\{[\s\S]*?cors:\s*\{\s*allowedOrigins:\s*corsAllowedOrigins\b/);
    expect(stripComments(read(path.join(ROOT, 'infra/app/api.bicep')))).toMatch(
      /corsAllowedOrigins:\s*corsAllowedOrigins\b/,
    );
  });

  it('turns shared keys off on the storage account', () => {
    expect(bicep).toMatch(/allowSharedKeyAccess:\s*false/);
    expect(bicep).not.toMatch(/allowSharedKeyAccess:\s*true/);
  });

  it('assigns only documented data roles, each named in a comment, covering blob, queue and table', () => {
    const lines = bicepRaw.split('\n');
    const used = lines.flatMap((line) =>
      [...line.matchAll(/'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'/gi)].map((m) => ({
        id: m[1].toLowerCase(),
        line: line.trim(),
      })),
    );
    const problems = used.flatMap(({ id, line }) => {
      const role = KNOWN_ROLES[id];
      if (!role) return [`unknown role id ${id}: ${line}`];
      return line.includes(`// ${role}`) ? [] : [`role id ${id} lacks the comment "// ${role}": ${line}`];
    });
    expect(problems).toEqual([]);
    const ids = new Set(used.map((u) => u.id));
    expect(
      ids.has('b7e6dc6d-f1e8-4753-8033-0f276bb0955b') || ids.has('ba92f5b4-2d11-453d-a403-e96b0029c9fe'),
    ).toBe(true);
    expect(ids.has('974c5e8b-45b9-4653-ba55-5f855dd0fb88')).toBe(true);
    expect(ids.has('0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3')).toBe(true);
  });

  it('creates the events topic in the CloudEvents schema, keys off, the app allowed to send to it and nothing more', () => {
    const topic = stripComments(read(path.join(ROOT, 'infra/app/events-topic.bicep')));
    expect(topic).toMatch(/'Microsoft\.EventGrid\/topics@[\d-]+'/);
    expect(topic).toMatch(/inputSchema:\s*'CloudEventSchemaV1_0'/);
    expect(topic).toMatch(/disableLocalAuth:\s*true/);
    expect(topic).toMatch(/scope:\s*topic\b/);
    expect(mainBicep).toMatch(/publisherPrincipalId:\s*identity\.outputs\.principalId/);
    expect(mainBicep).toMatch(/CLASSIFIER_EVENTS_TOPIC_ENDPOINT:\s*eventsTopic\.outputs\.endpoint/);
  });

  it('creates the Event Grid system topic on the storage account', () => {
    expect(bicep).toMatch(/'Microsoft\.EventGrid\/systemTopics@[\d-]+(?:-preview)?'/);
    expect(bicep).toMatch(/topicType:\s*'Microsoft\.Storage\.StorageAccounts'/);
  });
});

describe('the postdeploy hook subscribes the Event Grid functions', () => {
  const sh = read(path.join(ROOT, 'scripts/postdeploy.sh'));
  const ps1 = read(path.join(ROOT, 'scripts/postdeploy.ps1'));
  /** <function>=<container> pairs of a shell variable. */
  const shPairs = (variable: string) =>
    new Map(
      (new RegExp(`^${variable}="([^"]*)"`, 'm').exec(sh)?.[1] ?? '')
        .split(/\s+/)
        .filter(Boolean)
        .map((pair) => pair.split('=') as [string, string]),
    );
  /** function = 'container' entries of a PowerShell ordered hashtable. */
  const ps1Pairs = (variable: string) => {
    const block = new RegExp(`\\$${variable}\\s*=\\s*\\[ordered\\]@\\{([^}]*)\\}`).exec(ps1)?.[1] ?? '';
    return new Map([...block.matchAll(/(\w+)\s*=\s*'([^']*)'/g)].map((m) => [m[1], m[2]]));
  };
  const shTriggers = shPairs('BLOB_TRIGGERS');
  const ps1Triggers = ps1Pairs('BlobTriggers');
  const shDeleteTriggers = shPairs('BLOB_DELETE_TRIGGERS');
  const ps1DeleteTriggers = ps1Pairs('BlobDeleteTriggers');
  const subscribedTo = (type: string) =>
    blobEventSubscriptions
      .filter((s) => (s.eventTypes as readonly string[]).includes(type))
      .map((s) => [s.functionName, s.container]);

  it('lets every call that creates a blob through (but a Data Lake CreateFile) and dead-letters to the container the topic may write', () => {
    for (const script of [sh, ps1]) {
      // An allow-list of calls dropped the others (a copy from a URL, SFTP) without a trace.
      // (postdeploy.ps1 passes the arguments as an array: its quotes and commas aside, the same words.)
      expect(script.replace(/['",]/g, '')).toMatch(/--advanced-filter data\.api stringnotin CreateFile\b/);
      expect(script).not.toMatch(/data\.api'?,? '?stringin/);
      expect(script).toMatch(/--deadletter-identity systemassigned/);
      expect(script).toMatch(/--deadletter-identity-endpoint /);
      // Both kinds of subscription, each with its own event type, through the one call above.
      expect(script).toMatch(/'?Microsoft\.Storage\.BlobCreated'? /);
      expect(script).toMatch(/'?Microsoft\.Storage\.BlobDeleted'? /);
      expect(script.match(/event-subscription create/g)).toHaveLength(1);
    }
    const eventGrid = stripComments(read(path.join(ROOT, 'infra/app/eventgrid.bicep')));
    expect(eventGrid).toMatch(/identity:\s*\{\s*type:\s*'SystemAssigned'/);
    expect(eventGrid).toMatch(/scope:\s*storage::blobService::deadLetter\b/);
    expect(bicepArrayVar('blobContainerNames')).toContain(storageNames.eventGridDeadLetterContainer);
  });

  it('lists the same function=container pairs in postdeploy.sh and postdeploy.ps1, one per watched container', () => {
    expect(shTriggers.size).toBeGreaterThan(0);
    expect([...ps1Triggers]).toEqual([...shTriggers]);
    expect([...shTriggers.values()].sort()).toEqual([...watchedContainers].sort());
    expect([...shTriggers]).toEqual(subscribedTo('Microsoft.Storage.BlobCreated'));
  });

  it('subscribes the drop folder, and only it, to BlobDeleted (lifecycle and retention delete upload blobs)', () => {
    expect([...shDeleteTriggers]).toEqual([['imagesBlobDeleted', storageNames.imagesContainer]]);
    expect([...ps1DeleteTriggers]).toEqual([...shDeleteTriggers]);
    expect([...shDeleteTriggers]).toEqual(subscribedTo('Microsoft.Storage.BlobDeleted'));
    expect([...shDeleteTriggers.values()]).not.toContain(storageNames.uploadsContainer);
    // A function takes one kind of event: the created ones are not also subscribed to deletions.
    for (const name of shTriggers.keys()) expect(shDeleteTriggers.has(name)).toBe(false);
  });

  it('names Event Grid functions that src/functions/*.ts registers with app.eventGrid', () => {
    const registered = new Set(
      filesUnder(path.join(ROOT, 'src/functions'), '.ts').flatMap((file) =>
        [...stripComments(read(file)).matchAll(/app\.eventGrid\(\s*['"`](\w+)['"`]/g)].map((m) => m[1]),
      ),
    );
    const subscribed = [...shTriggers.keys(), ...shDeleteTriggers.keys()];
    const missing = subscribed
      .filter((name) => !registered.has(name))
      .map(
        (name) =>
          `${name}: no app.eventGrid('${name}', ...) in src/functions/*.ts (registered: ${[...registered].join(', ') || 'none'})`,
      );
    expect(missing).toEqual([]);
    // And every one registered is subscribed: an unsubscribed Event Grid function never runs in Azure.
    expect([...registered].sort()).toEqual([...subscribed].sort());
  });
});

describe('npm install', () => {
  it('runs no install script with any npm (npm 10 ignores allowScripts): no CUDA library is ever fetched', () => {
    expect(read(path.join(ROOT, '.npmrc'))).toMatch(/^ignore-scripts=true$/m);
    // This checkout was installed by .ci/run or a developer: onnxruntime-node's script, had it
    // run, leaves its CUDA providers beside the CPU runtime.
    const ortBin = path.join(ROOT, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64');
    expect(readdirSync(ortBin).filter((f) => /cuda|tensorrt/i.test(f))).toEqual([]);
    // The deployment package carries .npmrc, so the remote build's npm obeys it too.
    expect(read(path.join(ROOT, '.funcignore'))).not.toMatch(/^\.npmrc$/m);
  });
});

describe('host.json', () => {
  it('keeps successful executions in Application Insights (Host.Results at Information or finer)', () => {
    const host = JSON.parse(readFileSync(path.join(ROOT, 'host.json'), 'utf8')) as {
      logging?: { logLevel?: Record<string, string> };
    };
    const levels = host.logging?.logLevel ?? {};
    // Host.Results writes the `requests` table and the portal's Monitor tab; a coarser level
    // drops every success from both (learn.microsoft.com "Configure monitoring", log categories).
    const results = levels['Host.Results'] ?? levels.default ?? 'Information';
    expect(['Trace', 'Debug', 'Information']).toContain(results);
  });
});
