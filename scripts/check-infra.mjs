#!/usr/bin/env node
// `npm run infra:check` (and .ci/run): compiles and lints infra/ with the official Bicep CLI.
// The CLI comes from NuGet (Azure.Bicep.CommandLine.linux-x64, pinned in
// infra/bicep-cli/bicep-cli.csproj) by a `dotnet restore` that downloads nothing else. Fails on
// any error or warning: a warning is fixed, or suppressed in place (#disable-next-line) with
// its reason. Also checks main.parameters.json (azd's, not a .bicepparam that `bicep
// build-params` could build) against the compiled template: every parameter it sets exists,
// every parameter without a default is set.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const infra = path.join(root, 'infra');
const cliProject = path.join(infra, 'bicep-cli', 'bicep-cli.csproj');

function bicepPath() {
  const version = /Version="\[([^\]]+)\]"/.exec(readFileSync(cliProject, 'utf8'))?.[1];
  if (!version) throw new Error(`No pinned Bicep version in ${cliProject}.`);
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(
      'The pinned Bicep package is linux-x64; elsewhere run `az bicep build` / `bicep lint` yourself.',
    );
  const bin = path.join(
    infra,
    'bicep-cli',
    'packages',
    'azure.bicep.commandline.linux-x64',
    version,
    'tools',
    'bicep',
  );
  if (!existsSync(bin)) {
    console.log(`Fetching Bicep CLI ${version} from NuGet (dotnet restore)...`);
    // The SDK's own telemetry would try the internet: off, as the project's other tools are.
    const env = { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' };
    execFileSync('dotnet', ['restore', cliProject, '--nologo', '-v', 'quiet'], { stdio: 'inherit', env });
  }
  execFileSync('chmod', ['+x', bin]); // NuGet does not keep the file mode
  return bin;
}

const bicepFiles = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'bicep-cli' ? [] : bicepFiles(full);
    return e.name.endsWith('.bicep') ? [full] : [];
  });

/** Runs bicep; returns its diagnostics (warnings and errors print on stderr, one per line). */
function run(bin, args) {
  const r = spawnSync(bin, args, { encoding: 'utf8' });
  const diagnostics = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /: (Warning|Error) /.test(l));
  if (r.status !== 0 && diagnostics.length === 0)
    diagnostics.push(`bicep ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return diagnostics;
}

const bin = bicepPath();
const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'bicep-')), 'main.json');
const problems = run(bin, ['build', path.join(infra, 'main.bicep'), '--outfile', out]);
const files = bicepFiles(infra);
for (const file of files) problems.push(...run(bin, ['lint', file]));

if (existsSync(out)) {
  const template = JSON.parse(readFileSync(out, 'utf8'));
  const declared = template.parameters ?? {};
  const given = JSON.parse(readFileSync(path.join(infra, 'main.parameters.json'), 'utf8')).parameters;
  for (const name of Object.keys(given))
    if (!(name in declared))
      problems.push(`main.parameters.json sets "${name}", which main.bicep does not declare.`);
  for (const [name, p] of Object.entries(declared))
    if (!('defaultValue' in p) && !(name in given))
      problems.push(
        `main.bicep's parameter "${name}" has no default and main.parameters.json does not set it.`,
      );
}

const shown = (f) => path.relative(root, f);
// A module's warning comes back from the build of main.bicep and from each lint that reaches it.
const unique = [...new Set(problems)];
if (unique.length > 0) {
  console.error(`infra: ${unique.length} problem(s) (${version}):`);
  for (const p of unique) console.error(`  ${p.replaceAll(root + path.sep, '')}`);
  process.exit(1);
}
console.log(
  `infra: main.bicep compiled, ${files.length} files linted (${files.map(shown).join(', ')}), parameters checked: no errors, no warnings (${version}).`,
);
