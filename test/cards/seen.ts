/** What a person sees on a rendered card: its buttons, inputs and texts, found anywhere in the card JSON. */
import type { CardAttachment } from '../../cards';

type Json = Record<string, unknown>;

export interface SeenAction {
  type: string;
  title: string;
  verb: string;
  data: unknown;
  associatedInputs?: string;
}

export interface SeenInput {
  type: string;
  id: string;
  label?: string;
  value?: unknown;
  isRequired?: boolean;
  errorMessage?: string;
}

export interface Seen {
  actions: SeenAction[];
  inputs: SeenInput[];
  /** TextBlock texts, and FactSet facts as "title: value". */
  texts: string[];
  /** All of the above that reads as text, in one string. */
  all: string;
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every object in the card with its parent array (if any), depth first; `refresh` is not something a user sees. */
function* walk(value: unknown, siblings?: unknown[]): Generator<{ node: Json; siblings?: unknown[] }> {
  if (Array.isArray(value)) {
    for (const item of value) yield* walk(item, value);
  } else if (isObject(value)) {
    yield { node: value, siblings };
    for (const [key, child] of Object.entries(value)) if (key !== 'refresh') yield* walk(child);
  }
}

export function seen(attachment: CardAttachment): Seen {
  const actions: SeenAction[] = [];
  const inputs: SeenInput[] = [];
  const texts: string[] = [];
  for (const { node } of walk(attachment.content)) {
    const type = String(node.type ?? '');
    if (type.startsWith('Action.')) actions.push(node as unknown as SeenAction);
    if (type.startsWith('Input.')) inputs.push(node as unknown as SeenInput);
    if (type === 'TextBlock') texts.push(String(node.text));
    if (type === 'FactSet') for (const fact of node.facts as Json[]) texts.push(`${String(fact.title)}: ${String(fact.value)}`);
  }
  const all = [...texts, ...actions.map((a) => a.title), ...inputs.map((i) => i.label ?? '')].join('\n');
  return { actions, inputs, texts, all };
}

/** The element right after the input with this id, in the same container: where an inline error belongs. */
export function elementAfterInput(attachment: CardAttachment, id: string): Json | undefined {
  for (const { node, siblings } of walk(attachment.content)) {
    if (node.id === id && String(node.type).startsWith('Input.') && siblings) {
      const next = siblings[siblings.indexOf(node) + 1];
      return isObject(next) ? next : undefined;
    }
  }
  return undefined;
}

export const titles = (attachment: CardAttachment): string[] => seen(attachment).actions.map((a) => a.title);
export const verbs = (attachment: CardAttachment): string[] => seen(attachment).actions.map((a) => a.verb);
