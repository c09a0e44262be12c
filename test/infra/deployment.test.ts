/**
 * The deployment as code, checked offline (no Bicep compiler or Agents Toolkit here): the Toolkit
 * files' actions and the files they name exist and refer to each other (yml ↔ env file ↔
 * parameters ↔ Bicep params and outputs); every setting the app reads in production is set by the
 * Bicep or is a named parameter, and the app's configuration accepts them as a UserAssignedMSI bot
 * with no secret anywhere; nothing secret is an output or committed.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { configSchema, loadConfig } from '../../services/app/config';
import { LEADS_API_KEY_SECRET } from '../../services/app/leadsApiKey';
import { CLIENT_SECRET_SECRET, toolkitEnvironment } from '../../scripts/partnerCenterConnect';
import { appServiceSettings, BICEP_APP_SETTINGS } from '../support/appService';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const bicep = read('infra/azure.bicep');
const parameters = JSON.parse(read('infra/azure.parameters.json')) as { parameters: Record<string, { value: unknown }> };
const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string>; main: string; engines: { node: string } };

/** KEY=value lines of an env file. */
function envFile(file: string): Record<string, string> {
  return Object.fromEntries(read(file).split('\n').flatMap((line) => (/^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line) ? [[RegExp.$1, RegExp.$2] as const] : [])));
}

/** `${{NAME}}` placeholders in a text. */
const placeholders = (text: string) => [...text.matchAll(/\$\{\{([A-Za-z0-9_]+)\}\}/g)].map((m) => m[1]!);

const bicepParams = [...bicep.matchAll(/^param (\w+) (\w+)( = .*)?$/gm)].map((m) => ({ name: m[1]!, type: m[2]!, hasDefault: Boolean(m[3]) }));
const bicepOutputs = [...bicep.matchAll(/^output (\w+) \w+ = (.*)$/gm)].map((m) => ({ name: m[1]!, value: m[2]! }));
/** The app settings the Bicep gives App Service. */
const appSettings = BICEP_APP_SETTINGS;

/** The `with:` keys each action needs (the Toolkit's v1.x schema). */
const REQUIRED: Record<string, string[]> = {
  'teamsApp/create': ['name'],
  'arm/deploy': ['subscriptionId', 'resourceGroupName', 'templates'],
  'teamsApp/validateManifest': ['manifestPath'],
  'teamsApp/validateAppPackage': ['appPackagePath'],
  'teamsApp/update': ['appPackagePath'],
  'teamsApp/publishAppPackage': ['appPackagePath'],
  'cli/runNpmCommand': ['args'],
  'azureAppService/zipDeploy': ['artifactFolder', 'resourceId'],
  'aadApp/create': ['name', 'generateClientSecret', 'signInAudience'],
  'botFramework/create': ['botId', 'name', 'messagingEndpoint'],
  'file/createOrUpdateEnvironmentFile': ['target', 'envs'],
};

type Step = { uses: string; with: Record<string, unknown>; writeToEnvironmentFile?: Record<string, string> };
type Project = { version: string; environmentFolderPath?: string; provision?: Step[]; deploy?: Step[]; publish?: Step[] };

describe.each([
  ['m365agents.yml', 'env/.env.dev'],
  ['m365agents.local.yml', 'env/.env.local'],
])('%s', (file, envPath) => {
  const text = read(file);
  const project = parse(text) as Project;
  const steps = [...(project.provision ?? []), ...(project.deploy ?? []), ...(project.publish ?? [])];

  it('names the schema and version it is written for, and only the stages the Toolkit knows', () => {
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=https://aka.ms/m365-agents-toolkits/v1.11/yaml.schema.json');
    expect(project.version).toBe('v1.11');
    expect(Object.keys(project).every((key) => ['version', 'environmentFolderPath', 'provision', 'deploy', 'publish', 'projectId', 'additionalMetadata'].includes(key))).toBe(true);
  });

  it('uses only actions it gives what they need, on files and npm scripts that exist', () => {
    for (const step of steps) {
      expect(Object.keys(REQUIRED)).toContain(step.uses);
      for (const key of REQUIRED[step.uses]!) expect([step.uses, key, step.with?.[key] !== undefined]).toEqual([step.uses, key, true]);
      if (step.uses === 'cli/runNpmCommand') {
        const [command, script] = String(step.with.args).split(' ');
        if (command === 'run') expect(packageJson.scripts).toHaveProperty([script!]);
        else expect(['ci', 'install']).toContain(command);
      }
      for (const template of (step.with.templates as { path: string; parameters: string }[] | undefined) ?? []) {
        expect(existsSync(path.join(ROOT, template.path))).toBe(true);
        expect(existsSync(path.join(ROOT, template.parameters))).toBe(true);
      }
      if (step.with.ignoreFile) expect(existsSync(path.join(ROOT, String(step.with.ignoreFile)))).toBe(true);
    }
  });

  it('refers only to settings its env file holds, an earlier step writes, or the Bicep outputs', () => {
    const env = envFile(envPath);
    const written = new Set([...Object.keys(env), ...steps.flatMap((s) => Object.values(s.writeToEnvironmentFile ?? {})), ...bicepOutputs.map((o) => o.name)]);
    // Secrets the Toolkit keeps in the git-ignored .user file (SECRET_ prefixed, masked in its logs).
    const missing = placeholders(text).filter((name) => !written.has(name) && !name.startsWith('SECRET_'));
    expect(missing).toEqual([]);
  });
});

describe('infra/azure.bicep and its parameters', () => {
  it('gets every parameter from azure.parameters.json that has no default, and nothing it does not declare', () => {
    const declared = bicepParams.map((p) => p.name);
    expect(Object.keys(parameters.parameters).filter((name) => !declared.includes(name))).toEqual([]);
    expect(bicepParams.filter((p) => !p.hasDefault).map((p) => p.name).filter((name) => !(name in parameters.parameters))).toEqual([]);
  });

  it("fills the parameters from env/.env.dev only, each with a value as the Toolkit needs (it refuses to deploy with one left empty)", () => {
    const env = envFile('env/.env.dev');
    const used = placeholders(read('infra/azure.parameters.json'));
    expect(used.filter((name) => !(name in env))).toEqual([]);
    // Written before arm/deploy runs: the suffix by the Toolkit itself, the Teams app id by teamsApp/create.
    const writtenFirst = ['RESOURCE_SUFFIX', 'TEAMS_APP_ID'];
    // Yours to fill, named by the Toolkit while empty: without a partner admin nobody could grant a role.
    const yours = ['PARTNER_ADMIN_IDS'];
    expect(used.filter((name) => !env[name]?.trim() && !writtenFirst.includes(name) && !yours.includes(name))).toEqual([]);
    expect(read('README.md')).toMatch(/`PARTNER_ADMIN_IDS`/);
    // "none" stands for nothing given: the Bicep reads it so for every parameter the env file says it of.
    for (const name of used.filter((n) => env[n] === 'none')) {
      const param = Object.entries(parameters.parameters).find(([, p]) => p.value === `\${{${name}}}`)![0];
      expect([name, bicep.includes(`${param}: ${param} == 'none' ? '' : ${param}`)]).toEqual([name, true]);
      expect([name, new RegExp(`[^.]\\b${param}\\b`).test(bicep.replace(/^(param|@description).*$|^\s+\w+: \w+ == 'none'.*$/gm, ''))]).toEqual([name, false]);
    }
  });

  it('writes back, as outputs, what the env file and the deploy step expect, and nothing secret', () => {
    const env = envFile('env/.env.dev');
    for (const output of bicepOutputs) expect([output.name, output.name in env]).toEqual([output.name, true]);
    expect(bicepOutputs.map((o) => o.name)).toEqual(expect.arrayContaining(['AZURE_APP_SERVICE_RESOURCE_ID', 'BOT_ID', 'BOT_DOMAIN', 'BOT_TYPE']));
    for (const output of bicepOutputs) expect(output.value).not.toMatch(/ConnectionString|listKeys|secret|password/i);
  });

  it('sets every setting the app needs in production, each one the app reads, with no secret among them', () => {
    const read = new Set(Object.keys(configSchema.shape));
    const platform = (name: string) => /^(WEBSITE|SCM)_/.test(name);
    expect(Object.keys(appSettings).filter((name) => !read.has(name) && !platform(name))).toEqual([]);
    for (const name of ['MicrosoftAppType', 'MicrosoftAppId', 'MicrosoftAppTenantId', 'AZURE_CLIENT_ID', 'AZURE_TABLES_ENDPOINT', 'KEY_VAULT_URL', 'APPLICATIONINSIGHTS_CONNECTION_STRING', 'ALLOWED_TENANT_IDS']) {
      expect([name, name in appSettings]).toEqual([name, true]);
    }
    expect(appSettings.MicrosoftAppType).toBe("'UserAssignedMSI'");
    // Secrets are never settings: the API key and the refresh token live in Key Vault, the client secret is a reference to it.
    for (const secret of ['MicrosoftAppPassword', 'LEADS_API_KEY', 'AZURE_TABLES_CONNECTION_STRING', 'PARTNER_CENTER_REFRESH_TOKEN', 'PARTNER_CENTER_TOKEN_KEY']) expect(appSettings).not.toHaveProperty([secret]);
    expect(appSettings.PARTNER_CENTER_CLIENT_SECRET).toBe(`'@Microsoft.KeyVault(VaultName=\${vault.name};SecretName=${CLIENT_SECRET_SECRET})'`);
  });

  it('is a configuration the app starts with as a UserAssignedMSI bot on App Service: no password, no key, the sync on or off', () => {
    const asDeployed = {
      ...appServiceSettings({
        identityClientId: '5b7a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d',
        tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47',
        tablesEndpoint: 'https://leadsab12cdst.table.core.windows.net/',
        vaultUrl: 'https://leadsab12cd-kv.vault.azure.net/',
        appInsights: 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/',
      }),
      WEBSITE_SITE_NAME: 'leadsab12cd',
    };
    // Exactly what the Bicep sets (but the sync's), and what App Service adds.
    expect(Object.keys(asDeployed).sort()).toEqual([...Object.keys(appSettings).filter((name) => !name.startsWith('PARTNER_CENTER_')), 'WEBSITE_SITE_NAME'].sort());
    expect(loadConfig(asDeployed)).toMatchObject({ production: true, MicrosoftAppType: 'UserAssignedMSI', AZURE_TABLES_ENDPOINT: 'https://leadsab12cdst.table.core.windows.net' });
    const withSync = { ...asDeployed, PARTNER_CENTER_TENANT_ID: 'contoso-partner.onmicrosoft.com', PARTNER_CENTER_CLIENT_ID: '6f5a3c1e-0000-4000-8000-0000000000c1', PARTNER_CENTER_CLIENT_SECRET: 'resolved-by-app-service' };
    expect(loadConfig(withSync)).toMatchObject({ PARTNER_CENTER_CLIENT_ID: '6f5a3c1e-0000-4000-8000-0000000000c1' });
  });

  it('runs what the app is: Linux App Service on the Node major package.json asks for, started as node dist/index.js, checked on /readyz', () => {
    expect(bicep).toMatch(/linuxFxVersion: 'NODE\|20-lts'/);
    expect(packageJson.engines.node).toMatch(/^>=20\./);
    expect(bicep).toMatch(new RegExp(`appCommandLine: 'node [^']*${packageJson.main.replace('.', '\\.')}'`));
    expect(bicep).toMatch(/healthCheckPath: '\/readyz'/);
    expect(read('http/health.ts')).toContain("server.get('/readyz'");
    for (const setting of ['httpsOnly: true', 'alwaysOn: true', "kind: 'app,linux'", 'reserved: true', 'capacity: int(instanceCount)', 'allowSharedKeyAccess: false', 'enableRbacAuthorization: true', "msaAppType: 'UserAssignedMSI'"]) {
      expect([setting, bicep.includes(setting) || read('infra/botRegistration/azurebot.bicep').includes(setting)]).toEqual([setting, true]);
    }
  });

  it('gives the identity exactly the roles the app needs: Storage Table Data Contributor and Key Vault Secrets Officer', () => {
    expect(bicep).toContain("var tableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'");
    expect(bicep).toContain("var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'");
    expect([...bicep.matchAll(/principalId: identity\.properties\.principalId/g)]).toHaveLength(2);
    // The secrets the app keeps there, by the names the code uses.
    expect(bicep).toContain(CLIENT_SECRET_SECRET);
    expect(read('README.md')).toContain(LEADS_API_KEY_SECRET);
  });
});

describe('npm run partner-center:connect -- --env dev', () => {
  it("runs with what provision wrote to the Toolkit's env file (none: not given), the shell's values first", () => {
    const root = mkdtempSync(path.join(tmpdir(), 'leads-env-'));
    mkdirSync(path.join(root, 'env'));
    writeFileSync(
      path.join(root, 'env', '.env.dev'),
      ['# written by provision', 'AZURE_TABLES_ENDPOINT=https://leadsab12cdst.table.core.windows.net/', 'KEY_VAULT_URL=https://leadsab12cd-kv.vault.azure.net/', 'PARTNER_CENTER_TENANT_ID=contoso-partner.onmicrosoft.com', 'PARTNER_CENTER_CLIENT_ID=none', 'LEAD_VIEWER_IDS=none', 'BOT_DOMAIN=', ''].join('\n'),
    );

    const env = toolkitEnvironment('dev', { PARTNER_CENTER_TENANT_ID: 'fabrikam-partner.onmicrosoft.com', PATH: '/usr/bin' }, root);

    expect(env).toEqual({
      AZURE_TABLES_ENDPOINT: 'https://leadsab12cdst.table.core.windows.net/',
      KEY_VAULT_URL: 'https://leadsab12cd-kv.vault.azure.net/',
      PARTNER_CENTER_TENANT_ID: 'fabrikam-partner.onmicrosoft.com',
      PATH: '/usr/bin',
    });
    expect(() => toolkitEnvironment('prod', {}, root)).toThrow(/--env: prod: there is no .*\.env\.prod/);
  });
});

describe('what is committed', () => {
  it('keeps the Toolkit secrets out of git, and no secret in the committed env files', () => {
    const ignored = read('.gitignore');
    expect(ignored).toContain('env/.env.*.user');
    for (const file of ['env/.env.dev', 'env/.env.local']) {
      for (const [name, value] of Object.entries(envFile(file))) {
        if (/SECRET|PASSWORD|KEY$|TOKEN/.test(name)) expect([name, value]).toEqual([name, '']);
      }
    }
  });
});
