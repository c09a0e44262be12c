import { createRequire } from 'node:module';
import { ADAPTIVE_CARD_CONTENT_TYPE, type CardAttachment } from '../../cards';
import { everyCard } from './gallery';
import { seen } from './seen';

// The package's main entry is ESM, which Jest's CommonJS runtime cannot load; its UMD bundle is the same SDK.
const AC = createRequire(__filename)('adaptivecards/dist/adaptivecards.js') as typeof import('adaptivecards');

const cards = everyCard();

/** Every object in the card, wherever it sits (actions in ActionSets and in refresh included). */
function objects(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value)) return value.flatMap(objects);
  if (typeof value !== 'object' || value === null) return [];
  return [value as Record<string, unknown>, ...Object.values(value).flatMap(objects)];
}

function sdkComplaints(card: CardAttachment): string[] {
  const context = new AC.SerializationContext(AC.Versions.v1_5);
  const parsed = new AC.AdaptiveCard();
  parsed.parse(card.content, context);
  const events = Array.from({ length: context.eventCount }, (_, i) => context.getEventAt(i).message);
  return [...events, ...parsed.validateProperties().validationEvents.map((e) => e.message)];
}

test.each(cards)('%s: a clean Adaptive Card 1.5 with only Action.Execute (and links to Partner Center) and labelled inputs', (_name, card) => {
  // An Adaptive Card 1.5 attachment
  expect(card.contentType).toBe(ADAPTIVE_CARD_CONTENT_TYPE);
  expect(card.content).toMatchObject({ type: 'AdaptiveCard', version: '1.5' });

  // No template binding or string placeholder left; nothing that JSON would drop or change
  const json = JSON.stringify(card);
  expect(json).not.toMatch(/\$\{|\$data|\$when/);
  expect(seen(card).all).not.toMatch(/\{\w+\}/);
  expect(JSON.parse(json)).toEqual(card);

  // Every action, in ActionSets and refresh too, is an Action.Execute with a verb (or its Action.Submit
  // fallback, with the same verb, for clients without Universal Actions), or a link into Partner
  // Center's portal; every button has a title
  const actions = objects(card.content).filter((o) => typeof o.type === 'string' && o.type.startsWith('Action.'));
  for (const action of actions) {
    if (action.type === 'Action.OpenUrl') expect(action.url).toMatch(/^https:\/\/partner\.microsoft\.com\//);
    else if (action.type === 'Action.Submit') expect(action).toMatchObject({ data: { verb: expect.stringMatching(/^[a-z]+(\.[a-zA-Z]+)?$/) } });
    else expect(action).toMatchObject({ type: 'Action.Execute', verb: expect.stringMatching(/^[a-z]+(\.[a-zA-Z]+)?$/) });
  }
  for (const action of seen(card).actions) expect(action.title.trim()).not.toBe('');

  // Every input has a label; a required one says what is missing
  for (const input of seen(card).inputs) {
    expect(input.label?.trim()).toBeTruthy();
    if (input.isRequired) expect(input.errorMessage?.trim()).toBeTruthy();
  }

  // Every chart (Teams draws Chart.*; other clients do not) has a fallback that clients without charts show
  const charts = objects(card.content).filter((o) => typeof o.type === 'string' && o.type.startsWith('Chart.'));
  for (const chart of charts) expect(chart.fallback).toMatchObject({ type: expect.stringMatching(/^(FactSet|Container|TextBlock)$/) });

  // The Adaptive Cards SDK reads it without a warning (unknown types, invalid property values); a
  // chart it does not know is reported and replaced by its fallback, which is what clients do
  const chartNotice = /^Unknown element type "Chart\.[A-Za-z.]+"\. Fallback will be used if present\.$/;
  // Teams' people picker (`choices.data`) is a Teams extension it reads in 1.5 cards; the SDK knows it only from 1.6
  const pickers = objects(card.content).filter((o) => o.type === 'Input.ChoiceSet' && 'choices.data' in o);
  const pickerNotice = /^Property "choices\.data" is supported in version 1\.6, but you are using version 1\.5\.$/;
  expect(
    sdkComplaints(card).filter((complaint) => !(charts.length > 0 && chartNotice.test(complaint)) && !(pickers.length > 0 && pickerNotice.test(complaint))),
  ).toEqual([]);
  for (const picker of pickers) expect(picker['choices.data']).toEqual({ type: 'Data.Query', dataset: expect.stringMatching(/^graph\.microsoft\.com\/users(\?scope=currentContext)?$/) });
});
