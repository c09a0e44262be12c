import { AppManifestUtils } from '@microsoft/app-manifest';
import JSZip from 'jszip';
import { PNG } from 'pngjs';
import { buildAppPackage, renderManifest, type AppPackageSettings } from '../../manifest/appPackage';
import { localizationErrors, readLocalization, type LocalizableManifest } from '../../manifest/localization';
import { packageSettingsFromEnv } from '../../manifest/packageSettings';
import { ACTIVITY_TYPES } from '../../services/delivery/graph/activityFeed';
import { commands } from '../../teams/commands/textCommands';
import { FIND_COMMAND_ID, FIND_PARAMETER } from '../../teams/invokes/messageExtension';

const publisher = {
  name: 'Lakeshore Cloud Partners',
  websiteUrl: 'https://www.lakeshore-partners.eu',
  privacyUrl: 'https://www.lakeshore-partners.eu/privacy',
  termsOfUseUrl: 'https://www.lakeshore-partners.eu/legal/terms',
};

const settings: AppPackageSettings = {
  appId: '11111111-2222-4333-8444-555555555555',
  botId: '66666666-7777-4888-9999-aaaaaaaaaaaa',
  version: '1.2.3',
  validDomains: ['leads.lakeshore-partners.eu'],
  developer: publisher,
};

/** What each scope's command menu offers (Teams documents at most 10 per menu; `lead`, `grant`, `archived`… are in help). */
const COMMANDS: Record<string, string[]> = {
  personal: ['favorites', 'find', 'help', 'insights', 'marketplace', 'my leads', 'qualified', 'roles', 'settings', 'unassigned'],
  team: ['find', 'help', 'marketplace', 'notify', 'qualified', 'settings', 'subscribe', 'sync', 'unassigned', 'unsubscribe'],
  groupChat: ['find', 'help', 'marketplace', 'notify', 'qualified', 'settings', 'subscribe', 'sync', 'unassigned', 'unsubscribe'],
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
    localized: JSON.parse(await read('de.json').async('string')) as Record<string, string>,
    icon: async (name: string) => PNG.sync.read(await read(name).async('nodebuffer')),
  };
}

describe('the Teams app package', () => {
  // Validation must use the schema bundled with @microsoft/app-manifest: any network access fails the test.
  beforeEach(() => jest.spyOn(globalThis, 'fetch').mockRejectedValue(new Error('no network in tests')));
  afterEach(() => jest.restoreAllMocks());

  it('holds exactly manifest.json, its German text and the two icons, at the zip root', async () => {
    const { names } = await openPackage(await buildAppPackage(settings));

    expect(names).toEqual(['color.png', 'de.json', 'manifest.json', 'outline.png']);
  });

  it('has a manifest.json that validates offline against the schema its $schema names', async () => {
    const { manifest } = await openPackage(await buildAppPackage(settings));

    expect(manifest.$schema).toBe(`https://developer.microsoft.com/json-schemas/teams/v${manifest.manifestVersion}/MicrosoftTeams.schema.json`);
    expect(await AppManifestUtils.validateAgainstSchema(manifest)).toEqual([]);
    expect(globalThis.fetch).not.toHaveBeenCalled();
  });

  it("fills the ids, version, domains and the publisher's name and links from the settings", async () => {
    const { manifest } = await openPackage(await buildAppPackage(settings));

    expect(manifest).toMatchObject({ id: settings.appId, version: '1.2.3', validDomains: ['leads.lakeshore-partners.eu'] });
    expect(manifest.bots[0].botId).toBe(settings.botId);
    expect(manifest.developer).toEqual(publisher);
    expect(JSON.stringify(manifest)).not.toContain('{{');
  });

  it('names the app shortly and in full, and says in full what a tenant needs for it', async () => {
    const { manifest } = await openPackage(await buildAppPackage(settings));

    expect(manifest.name).toEqual({ short: 'Partner Leads', full: 'Partner Leads for Microsoft Teams' });
    expect(manifest.description.full).toMatch(/Partner Center account/);
    expect(manifest.description.full).toMatch(/Azure subscription/);
  });

  it('refuses placeholder publishers in a package for a tenant, naming each, and allows them in a trial package', async () => {
    const placeholder = { name: 'Contoso', websiteUrl: 'https://contoso.com', privacyUrl: 'https://www.example.com/privacy', termsOfUseUrl: 'https://leads.test/terms' };
    let message = '';
    try {
      renderManifest({ ...settings, developer: placeholder });
    } catch (error) {
      message = (error as Error).message;
    }

    for (const field of ['developer.name', 'developer.websiteUrl', 'developer.privacyUrl', 'developer.termsOfUseUrl']) expect(message).toContain(field);
    const { manifest } = await openPackage(await buildAppPackage({ ...settings, developer: placeholder, trial: true }));
    expect(manifest.developer.name).toBe('Contoso');
  });

  it('declares the activity feed notifications the bot sends, for its own app id, with the resource-specific permission to send them', async () => {
    const { manifest } = await openPackage(await buildAppPackage(settings));

    const declared = Object.fromEntries(manifest.activities.activityTypes.map((a: { type: string; templateText: string }) => [a.type, [...a.templateText.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()]));
    expect(declared).toEqual(Object.fromEntries(Object.entries(ACTIVITY_TYPES).map(([type, names]) => [type, [...names].sort()])));
    expect(manifest.webApplicationInfo).toEqual({ id: settings.botId, resource: `api://botid-${settings.botId}` });
    expect(manifest.authorization.permissions.resourceSpecific).toEqual([{ name: 'TeamsActivity.Send.User', type: 'Application' }]);
  });

  it('leaves the resource-specific permission out for a bot that runs as a managed identity (Teams refuses that consent for its id)', async () => {
    const { manifest } = await openPackage(await buildAppPackage({ ...settings, resourceSpecificConsent: false }));

    expect(manifest.authorization).toBeUndefined();
    expect(manifest.webApplicationInfo.id).toBe(settings.botId);
    expect(packageSettingsFromEnv({ BOT_ID: settings.botId, BOT_TYPE: 'UserAssignedMSI', APP_DEVELOPER_NAME: publisher.name, APP_WEBSITE_URL: publisher.websiteUrl, APP_PRIVACY_URL: publisher.privacyUrl, APP_TERMS_URL: publisher.termsOfUseUrl }, '1.0.0')).toMatchObject({
      botId: settings.botId,
      resourceSpecificConsent: false,
    });
  });

  it("packages the Toolkit environment's bot when the Toolkit runs it, not the bot a local .env names", () => {
    const developer = { APP_DEVELOPER_NAME: publisher.name, APP_WEBSITE_URL: publisher.websiteUrl, APP_PRIVACY_URL: publisher.privacyUrl, APP_TERMS_URL: publisher.termsOfUseUrl };
    // What m365agents.local.yml writes into .env (the tunnel's bot), met by `atk provision --env dev`.
    const localBot = { MicrosoftAppId: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0', MicrosoftAppType: 'SingleTenant' };
    const dev = { TEAMSFX_ENV: 'dev', BOT_ID: settings.botId, BOT_TYPE: 'UserAssignedMSI' };

    expect(packageSettingsFromEnv({ ...developer, ...localBot, ...dev }, '1.0.0')).toMatchObject({ botId: settings.botId, resourceSpecificConsent: false });
    // By hand (no Toolkit), MicrosoftAppId stays what names the bot.
    expect(packageSettingsFromEnv({ ...developer, ...localBot, BOT_ID: settings.botId }, '1.0.0')).toMatchObject({ botId: localBot.MicrosoftAppId, resourceSpecificConsent: true });
  });

  it('refuses a bot host that is a placeholder, localhost or an address in a package for a tenant', () => {
    for (const domain of ['leads.contoso.example', 'localhost', '10.0.0.4']) expect(() => renderManifest({ ...settings, validDomains: [domain] })).toThrow(/validDomains\.0: .* is not the bot's public host/);
  });

  it('works in private and shared channels the way manifest 1.25 asks (supportsChannelFeatures; Teams refuses supportedChannelTypes there)', async () => {
    const { manifest } = await openPackage(await buildAppPackage(settings));

    expect(manifest.manifestVersion).toBe('1.25');
    expect(manifest.supportsChannelFeatures).toBe('tier1');
    expect(manifest.supportedChannelTypes).toBeUndefined();
  });

  it('speaks German: names, descriptions, every menu command, the search and every notification, valid offline', async () => {
    const { manifest, localized } = await openPackage(await buildAppPackage(settings));

    expect(manifest.localizationInfo).toEqual({ defaultLanguageTag: 'en', additionalLanguages: [{ languageTag: 'de', file: 'de.json' }] });
    expect(localized['name.full']).toBe('Partner Leads für Microsoft Teams');
    expect(localized['bots[0].commandLists[0].commands[0].title']).toBe('hilfe');
    expect(localized['activities.activityTypes[1].templateText']).toBe('{leadName} läuft in {timeLeft} ab: annehmen oder ablehnen');
  });

  it('finds what is wrong with a German text: a command left out, a text too long, a template with other parameters', () => {
    const manifest = renderManifest(settings) as unknown as LocalizableManifest;
    const { ['bots[0].commandLists[1].commands[3].title']: _left, ...partial } = readLocalization('de.json');
    const broken = { ...partial, 'description.short': 'x'.repeat(81), 'activities.activityTypes[0].templateText': '{wer} hat Ihnen {leadName} zugewiesen' };

    const errors = localizationErrors(manifest, 'de.json', broken).join('\n');
    expect(errors).toContain('bots[0].commandLists[1].commands[3].title is not translated');
    expect(errors).toContain('description.short');
    expect(errors).toContain('activities.activityTypes[0].templateText must use the parameters {assignedBy,leadName}');
  });

  it('routes every menu title, English or German, to the command the English title names', async () => {
    const { manifest, localized } = await openPackage(await buildAppPackage(settings));

    const lists = manifest.bots[0].commandLists as { commands: { title: string }[] }[];
    const routed = lists.flatMap((list, i) =>
      list.commands.map((command, j) => [command.title, commands.resolve(command.title)?.word, commands.resolve(localized[`bots[0].commandLists[${i}].commands[${j}].title`]!)?.word]),
    );

    expect(routed.length).toBeGreaterThanOrEqual(lists.length * 3);
    expect(routed.filter(([, english]) => english === undefined)).toEqual([]);
    expect(routed.filter(([, english, german]) => german !== english)).toEqual([]);
  });

  it('installs the bot in personal chats, teams and group chats, with at most ten commands per menu: subscribe and sync where admins set up a team', async () => {
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
    expect(() => renderManifest({ ...settings, validDomains: ['https://leads.lakeshore-partners.eu/api/messages'] })).toThrow(/validDomains\.0/);
  });
});

describe('npm run package settings from the environment', () => {
  const appId = '11111111-2222-4333-8444-555555555555';
  const publisherEnv = { APP_DEVELOPER_NAME: publisher.name, APP_WEBSITE_URL: publisher.websiteUrl, APP_PRIVACY_URL: publisher.privacyUrl, APP_TERMS_URL: publisher.termsOfUseUrl };

  it('uses the bot id as the Teams app id and the package version unless told otherwise', () => {
    expect(packageSettingsFromEnv({ MicrosoftAppId: ` ${appId} `, TEAMS_APP_ID: '', BOT_DOMAIN: 'leads.contoso.example', ...publisherEnv }, '0.1.0')).toEqual({
      botId: appId,
      appId,
      version: '0.1.0',
      validDomains: ['leads.contoso.example'],
      developer: publisher,
      trial: false,
      resourceSpecificConsent: true,
    });
  });

  it("asks for the publisher's name and links, saying what each is", () => {
    let message = '';
    try {
      packageSettingsFromEnv({ MicrosoftAppId: appId, APP_WEBSITE_URL: 'http://lakeshore-partners.eu' }, '0.1.0');
    } catch (error) {
      message = (error as Error).message;
    }

    expect(message).toMatch(/APP_DEVELOPER_NAME: is not set: the publisher's name/);
    expect(message).toMatch(/APP_WEBSITE_URL: must be the https URL of the publisher's website/);
    expect(message).toMatch(/APP_PRIVACY_URL: is not set/);
    expect(message).toMatch(/APP_TERMS_URL: is not set/);
  });

  it('fills a trial package with a placeholder publisher unless one is set', () => {
    expect(packageSettingsFromEnv({ MicrosoftAppId: appId }, '0.1.0', { trial: true })).toMatchObject({ trial: true, developer: { name: 'Partner Leads (trial)' } });
    expect(packageSettingsFromEnv({ MicrosoftAppId: appId, ...publisherEnv }, '0.1.0', { trial: true }).developer).toEqual(publisher);
  });

  it('takes TEAMS_APP_ID and APP_VERSION when they are set', () => {
    const settingsFromEnv = packageSettingsFromEnv({ MicrosoftAppId: appId, TEAMS_APP_ID: settings.botId, APP_VERSION: '2.0.1', ...publisherEnv }, '0.1.0');

    expect(settingsFromEnv).toMatchObject({ botId: appId, appId: settings.botId, version: '2.0.1', validDomains: [] });
  });

  it("explains that MicrosoftAppId, the Azure Bot's app id, is missing", () => {
    expect(() => packageSettingsFromEnv({ MicrosoftAppId: '', ...publisherEnv }, '0.1.0')).toThrow(/MicrosoftAppId: is not set\. It is the Azure Bot's app id/);
  });

  it('names each variable that is not usable', () => {
    let message = '';
    try {
      packageSettingsFromEnv({ MicrosoftAppId: appId, TEAMS_APP_ID: 'my-app', BOT_DOMAIN: 'https://leads.contoso.example', ...publisherEnv }, '0.1.0');
    } catch (error) {
      message = (error as Error).message;
    }

    expect(message).toMatch(/TEAMS_APP_ID: must be a GUID/);
    expect(message).toMatch(/BOT_DOMAIN: must be the bot endpoint's host name/);
  });
});
