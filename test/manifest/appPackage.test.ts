import { AppManifestUtils } from '@microsoft/app-manifest';
import JSZip from 'jszip';
import { PNG } from 'pngjs';
import { buildAppPackage, renderManifest, type AppPackageSettings } from '../../manifest/appPackage';
import { packageSettingsFromEnv } from '../../manifest/packageSettings';
import { FIND_COMMAND_ID, FIND_PARAMETER } from '../../teams/invokes/messageExtension';

const settings: AppPackageSettings = {
  appId: '11111111-2222-4333-8444-555555555555',
  botId: '66666666-7777-4888-9999-aaaaaaaaaaaa',
  version: '1.2.3',
  validDomains: ['leads.contoso.example'],
};

/** What each scope's command menu offers (Teams shows at most 12 per scope; `lead`, `grant`, `subscribe`… are in help). */
const SHARED = ['archived', 'favorites', 'find', 'help', 'insights', 'marketplace', 'my leads', 'qualified', 'roles', 'settings', 'unassigned'];
const COMMANDS: Record<string, string[]> = {
  personal: [...SHARED, 'sync'].sort(),
  team: [...SHARED, 'notify'].sort(),
  groupChat: [...SHARED, 'notify'].sort(),
};

async function openPackage(zipped: Buffer) {
  const zip = await JSZip.loadAsync(zipped);
  const read = (name: string) => {
    const file = zip.file(name);
    if (!file) throw new Error(`${name} is missing from the package`);
    return file;
  };
  return {
    names: Object.keys(zip.files).sort(),
    manifest: JSON.parse(await read('manifest.json').async('string')),
    icon: async (name: string) => PNG.sync.read(await read(name).async('nodebuffer')),
  };
}

describe('the Teams app package', () => {
  // Validation must use the schema bundled with @microsoft/app-manifest: any network access fails the test.
  beforeEach(() => jest.spyOn(globalThis, 'fetch').mockRejectedValue(new Error('no network in tests')));
  afterEach(() => jest.restoreAllMocks());

  it('holds exactly manifest.json and the two icons, at the zip root', async () => {
    const { names } = await openPackage(await buildAppPackage(settings));

    expect(names).toEqual(['color.png', 'manifest.json', 'outline.png']);
  });

  it('has a manifest.json that validates offline against the schema its $schema names', async () => {
    const { manifest } = await openPackage(await buildAppPackage(settings));

    expect(manifest.$schema).toBe(`https://developer.microsoft.com/json-schemas/teams/v${manifest.manifestVersion}/MicrosoftTeams.schema.json`);
    expect(await AppManifestUtils.validateAgainstSchema(manifest)).toEqual([]);
    expect(globalThis.fetch).not.toHaveBeenCalled();
  });

  it('fills the ids, version, domains and developer links from the settings', async () => {
    const { manifest } = await openPackage(await buildAppPackage({ ...settings, websiteUrl: 'https://leads.contoso.example/' }));

    expect(manifest).toMatchObject({ id: settings.appId, version: '1.2.3', validDomains: ['leads.contoso.example'] });
    expect(manifest.bots[0].botId).toBe(settings.botId);
    expect(manifest.developer).toMatchObject({
      websiteUrl: 'https://leads.contoso.example',
      privacyUrl: 'https://leads.contoso.example/privacy',
      termsOfUseUrl: 'https://leads.contoso.example/terms',
    });
    expect(JSON.stringify(manifest)).not.toContain('{{');
  });

  it('installs the bot in personal chats, teams and group chats, with twelve commands in each scope: notify where there are others to notify', async () => {
    const { manifest } = await openPackage(await buildAppPackage(settings));
    const [bot] = manifest.bots;

    expect([...bot.scopes].sort()).toEqual(['groupChat', 'personal', 'team']);
    expect(bot).toMatchObject({ supportsFiles: false, isNotificationOnly: false });
    for (const scope of ['personal', 'team', 'groupChat']) {
      const lists = bot.commandLists.filter((list: { scopes: string[] }) => list.scopes.includes(scope));
      const titles = lists.flatMap((list: { commands: { title: string }[] }) => list.commands.map((command) => command.title));
      expect(titles.sort()).toEqual(COMMANDS[scope]);
    }
  });

  it('offers the search message extension in the compose and command boxes, and unfurls Partner Center links', async () => {
    const { manifest } = await openPackage(await buildAppPackage(settings));

    expect(manifest.composeExtensions).toEqual([
      {
        botId: settings.botId,
        commands: [
          expect.objectContaining({
            // The ids the bot answers to.
            id: FIND_COMMAND_ID,
            type: 'query',
            title: 'Find a lead',
            initialRun: true,
            context: ['compose', 'commandBox'],
            parameters: [expect.objectContaining({ name: FIND_PARAMETER, inputType: 'text' })],
          }),
        ],
        messageHandlers: [{ type: 'link', value: { domains: ['partner.microsoft.com', '*.partner.microsoft.com'] } }],
      },
    ]);
  });

  it('has a full-bleed 192×192 color icon with a white glyph', async () => {
    const { icon } = await openPackage(await buildAppPackage(settings));
    const color = await icon('color.png');

    expect([color.width, color.height]).toEqual([192, 192]);
    const pixels = Array.from({ length: color.width * color.height }, (_, i) => [...color.data.subarray(i * 4, i * 4 + 4)]);
    expect(pixels.every(([, , , alpha]) => alpha === 255)).toBe(true);
    expect(pixels[0]).toEqual([0x5b, 0x5f, 0xc7, 255]);
    expect(pixels.filter(([r, g, b]) => r === 255 && g === 255 && b === 255).length).toBeGreaterThan(1000);
  });

  it('has a 32×32 outline icon that is only white on transparent', async () => {
    const { icon } = await openPackage(await buildAppPackage(settings));
    const outline = await icon('outline.png');

    expect([outline.width, outline.height]).toEqual([32, 32]);
    const pixels = Array.from({ length: 32 * 32 }, (_, i) => [...outline.data.subarray(i * 4, i * 4 + 4)]);
    const notWhite = pixels.filter(([r, g, b, alpha]) => alpha !== 0 && !(r === 255 && g === 255 && b === 255));
    expect(notWhite).toEqual([]);
    expect(pixels.filter(([, , , alpha]) => alpha === 255).length).toBeGreaterThan(100);
    expect(pixels.filter(([, , , alpha]) => alpha === 0).length).toBeGreaterThan(100);
  });

  it('refuses a bot id that is not a GUID, naming botId', async () => {
    expect(() => renderManifest({ ...settings, botId: 'partner-leads-bot' })).toThrow(/botId must be a GUID/);
    await expect(buildAppPackage({ ...settings, botId: 'partner-leads-bot' })).rejects.toMatchObject({ name: 'ManifestError' });
  });

  it('refuses an app id that is not a GUID, naming appId', () => {
    expect(() => renderManifest({ ...settings, appId: '42' })).toThrow(/appId must be a GUID/);
  });

  it('refuses a valid domain given as a URL', () => {
    expect(() => renderManifest({ ...settings, validDomains: ['https://leads.contoso.example/api/messages'] })).toThrow(/validDomains\.0/);
  });
});

describe('npm run package settings from the environment', () => {
  const appId = '11111111-2222-4333-8444-555555555555';

  it('uses the bot id as the Teams app id and the package version unless told otherwise', () => {
    expect(packageSettingsFromEnv({ MicrosoftAppId: ` ${appId} `, TEAMS_APP_ID: '', BOT_DOMAIN: 'leads.contoso.example' }, '0.1.0')).toEqual({
      botId: appId,
      appId,
      version: '0.1.0',
      validDomains: ['leads.contoso.example'],
    });
  });

  it('takes TEAMS_APP_ID and APP_VERSION when they are set', () => {
    const settingsFromEnv = packageSettingsFromEnv({ MicrosoftAppId: appId, TEAMS_APP_ID: settings.botId, APP_VERSION: '2.0.1' }, '0.1.0');

    expect(settingsFromEnv).toMatchObject({ botId: appId, appId: settings.botId, version: '2.0.1', validDomains: [] });
  });

  it("explains that MicrosoftAppId, the Azure Bot's app id, is missing", () => {
    expect(() => packageSettingsFromEnv({ MicrosoftAppId: '' }, '0.1.0')).toThrow(/MicrosoftAppId: is not set\. It is the Azure Bot's app id/);
  });

  it('names each variable that is not usable', () => {
    let message = '';
    try {
      packageSettingsFromEnv({ MicrosoftAppId: appId, TEAMS_APP_ID: 'my-app', BOT_DOMAIN: 'https://leads.contoso.example' }, '0.1.0');
    } catch (error) {
      message = (error as Error).message;
    }

    expect(message).toMatch(/TEAMS_APP_ID: must be a GUID/);
    expect(message).toMatch(/BOT_DOMAIN: must be the bot endpoint's host name/);
  });
});
