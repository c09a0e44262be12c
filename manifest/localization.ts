/**
 * The app package's German text (de.json), checked offline: against the localization schema
 * bundled with @microsoft/app-manifest (which has no validator for it; its draft-04 patterns need
 * ajv's non-unicode regular expressions), and against the manifest: every command, the message
 * extension and every activity type translated, each template with the same {parameters}.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { MANIFEST_DIR } from './projectRoot';

export const LOCALIZATION_FILES = ['de.json'] as const;

/** What of the manifest is translated (the parts every manifest version since 1.25 shares). */
export interface LocalizableManifest {
  manifestVersion: string;
  name: { short: string; full?: string };
  description: { short: string; full: string };
  bots?: { commandLists?: { commands: { title: string; description: string }[] }[] }[];
  composeExtensions?: { commands?: { title: string; description?: string; parameters?: { title: string; description?: string }[] }[] }[];
  activities?: { activityTypes?: { description: string; templateText: string }[] };
}

const BUNDLED_TEAMS_SCHEMAS = path.join(path.dirname(require.resolve('@microsoft/app-manifest')), 'json-schemas', 'teams');

export function readLocalization(file: string): Record<string, string> {
  return JSON.parse(readFileSync(path.join(MANIFEST_DIR, file), 'utf8')) as Record<string, string>;
}

/** The manifest's texts a localization file must translate, by their localization keys. */
function localizableTexts(manifest: LocalizableManifest): Map<string, string> {
  const texts = new Map<string, string>([
    ['name.short', manifest.name.short],
    ['name.full', manifest.name.full ?? manifest.name.short],
    ['description.short', manifest.description.short],
    ['description.full', manifest.description.full],
  ]);
  manifest.bots?.[0]?.commandLists?.forEach((list, i) =>
    list.commands.forEach((command, j) => {
      texts.set(`bots[0].commandLists[${i}].commands[${j}].title`, command.title);
      texts.set(`bots[0].commandLists[${i}].commands[${j}].description`, command.description);
    }),
  );
  manifest.composeExtensions?.[0]?.commands?.forEach((command, i) => {
    texts.set(`composeExtensions[0].commands[${i}].title`, command.title);
    if (command.description) texts.set(`composeExtensions[0].commands[${i}].description`, command.description);
    command.parameters?.forEach((parameter, j) => {
      texts.set(`composeExtensions[0].commands[${i}].parameters[${j}].title`, parameter.title);
      if (parameter.description) texts.set(`composeExtensions[0].commands[${i}].parameters[${j}].description`, parameter.description);
    });
  });
  manifest.activities?.activityTypes?.forEach((activity, i) => {
    texts.set(`activities.activityTypes[${i}].description`, activity.description);
    texts.set(`activities.activityTypes[${i}].templateText`, activity.templateText);
  });
  return texts;
}

const parameters = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort().join(',');

type ValidateFunction = ReturnType<Ajv['compile']>;
const validators = new Map<string, ValidateFunction>();

/** The localization schema bundled for this manifest version, compiled once. */
function localizationSchema(manifestVersion: string): ValidateFunction {
  let validate = validators.get(manifestVersion);
  if (!validate) {
    const schemaPath = path.join(BUNDLED_TEAMS_SCHEMAS, `v${manifestVersion}`, 'MicrosoftTeams.Localization.schema.json');
    const ajv = new Ajv({ allErrors: true, strictTypes: false, unicodeRegExp: false });
    addFormats(ajv, ['uri', 'email', 'regex']);
    validate = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);
    validators.set(manifestVersion, validate);
  }
  return validate;
}

/** What is wrong with a localization file for this manifest: schema errors, texts left out, keys it does not have, template parameters that differ. */
export function localizationErrors(manifest: LocalizableManifest, file: string, localized: Record<string, string>): string[] {
  const validate = localizationSchema(manifest.manifestVersion);
  const errors = validate(localized) ? [] : (validate.errors ?? []).map((e) => `${file}${e.instancePath || ''} ${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
  const expectedSchema = `https://developer.microsoft.com/json-schemas/teams/v${manifest.manifestVersion}/MicrosoftTeams.Localization.schema.json`;
  if (localized.$schema !== expectedSchema) errors.push(`${file}: $schema must be ${expectedSchema}`);
  const texts = localizableTexts(manifest);
  for (const [key, text] of texts) {
    const translated = localized[key];
    if (translated === undefined) errors.push(`${file}: ${key} is not translated ("${text}")`);
    else if (key.endsWith('templateText') && parameters(translated) !== parameters(text)) errors.push(`${file}: ${key} must use the parameters {${parameters(text)}}`);
  }
  for (const key of Object.keys(localized)) if (key !== '$schema' && !texts.has(key)) errors.push(`${file}: ${key} is not in the manifest`);
  return errors;
}
