import { AppManifestUtils } from '@microsoft/app-manifest';
import JSZip from 'jszip';
import { PNG } from 'pngjs';
import { buildAppPackage, renderManifest } from '../../manifest/appPackage';

const settings = { appId: '11111111-2222-4333-8444-555555555555', botId: '66666666-2222-4333-8444-555555555555', version: '1.2.3', validDomains: ['leads.contoso.example'] };

async function unzip() {
  const zip = await JSZip.loadAsync(await buildAppPackage(settings));
  const manifest = JSON.parse(await zip.file('manifest.json')!.async('string'));
  const icon = async (name: string) => PNG.sync.read(await zip.file(name)!.async('nodebuffer'));
  return { zip, manifest, icon };
}

describe('the Teams app package', () => {
  it('holds exactly manifest.json and the two icons at its root', async () => {
    const { zip } = await unzip();
    expect(Object.keys(zip.files).sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
  });

  it('has a manifest that validates offline against its bundled v1.2x schema', async () => {
    const { manifest } = await unzip();
    expect(manifest.$schema).toMatch(/teams\/v1\.2\d\/MicrosoftTeams\.schema\.json$/);
    expect(await AppManifestUtils.validateAgainstSchema(manifest)).toEqual([]);
  });

  it('fills ids, version and domains from the settings and offers every command in every scope', async () => {
    const { manifest } = await unzip();
    expect(manifest).toMatchObject({ id: settings.appId, version: '1.2.3', validDomains: ['leads.contoso.example'] });
    const [bot] = manifest.bots;
    expect(bot.botId).toBe(settings.botId);
    expect(bot.scopes.sort()).toEqual(['groupChat', 'personal', 'team']);
    const commands = bot.commandLists.flatMap((list: { commands: { title: string }[] }) => list.commands.map((c) => c.title));
    expect(commands.sort()).toEqual(['archived', 'favorites', 'help', 'lead', 'marketplace', 'qualified', 'roles', 'subscribe', 'unsubscribe']);
  });

  it('has a 192×192 color icon and a 32×32 outline icon that is white on transparent', async () => {
    const { icon } = await unzip();
    const color = await icon('color.png');
    expect([color.width, color.height]).toEqual([192, 192]);
    const outline = await icon('outline.png');
    expect([outline.width, outline.height]).toEqual([32, 32]);
    let white = 0;
    for (let i = 0; i < outline.data.length; i += 4) {
      const [r, g, b, a] = outline.data.subarray(i, i + 4);
      if (a === 0) continue;
      expect([r, g, b]).toEqual([255, 255, 255]);
      white++;
    }
    expect(white).toBeGreaterThan(50);
  });

  it('refuses a bot id that is not a GUID, naming it', () => {
    expect(() => renderManifest({ ...settings, botId: 'my-bot' })).toThrow(/botId.*GUID/);
  });
});
