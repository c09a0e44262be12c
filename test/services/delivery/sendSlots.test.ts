/**
 * The sender's slots within Teams' limits (50 a second for the bot, 7 a second per conversation),
 * each window counted 50 ms wider than Teams counts it: a sender told when to look again is told
 * the moment a slot frees, and the wider window holds across every take.
 */
import { SendSlots } from '../../../services/delivery/sender/sendSlots';

const limits = { perSecondPerConversation: 7, per30SecondsPerConversation: 60, perSecondGlobal: 50 };

describe('send slots', () => {
  it('tells a sender to look again exactly when the bot-wide window has room, not a fixed step later', () => {
    const slots = new SendSlots(limits);
    for (let i = 0; i < 50; i++) expect(slots.tryTake(`c${i}`, i)).toBe(true);

    // The first send (at 0) has left the 1,050 ms window at 1,050.
    const at = 200;
    expect(slots.tryTake('c50', at)).toBe(false);
    const wait = slots.retryIn('c50', at);
    expect(wait).toBe(250); // never longer than the usual step
    expect(slots.retryIn('c50', 1000)).toBe(50);
    expect(slots.tryTake('c50', 1049)).toBe(false);
    expect(slots.tryTake('c50', 1050)).toBe(true);
  });

  it("looks again when the conversation's own window has room", () => {
    const slots = new SendSlots(limits);
    for (let i = 0; i < 7; i++) expect(slots.tryTake('busy', i * 10)).toBe(true);

    expect(slots.tryTake('busy', 900)).toBe(false);
    expect(slots.retryIn('busy', 900)).toBe(150);
    expect(slots.tryTake('busy', 1049)).toBe(false);
    expect(slots.tryTake('busy', 1050)).toBe(true);
    // Another conversation is not held back by it.
    expect(slots.tryTake('quiet', 1050)).toBe(true);
  });

  it('keeps counting a send in the wider window after a later take (never 51 in any 1,050 ms)', () => {
    const slots = new SendSlots(limits);
    for (let i = 0; i < 49; i++) expect(slots.tryTake(`c${i}`, 0)).toBe(true);
    expect(slots.tryTake('late', 1020)).toBe(true);

    // The 49 sent at 0 are still within 1,050 ms of 1,021: one more would make 51 there.
    expect(slots.tryTake('next', 1021)).toBe(false);
    expect(slots.tryTake('next', 1049)).toBe(false);
    expect(slots.tryTake('next', 1050)).toBe(true);
  });
});
