import { parseClientFrame } from '../../server/gateway/protocol';

describe('parseClientFrame', () => {
  it.each([
    ['{"type":"subscribe","feed":"election"}', { type: 'subscribe', feed: 'election' }],
    ['{"type":"subscribe","feed":"election","since":0}', { type: 'subscribe', feed: 'election', since: 0 }],
    ['{"type":"subscribe","feed":"e-1","since":42,"epoch":"abc"}', { type: 'subscribe', feed: 'e-1', since: 42, epoch: 'abc' }],
    ['{"type":"subscribe","feed":"e","since":null,"epoch":null}', { type: 'subscribe', feed: 'e' }],
    ['{"type":"unsubscribe","feed":"election"}', { type: 'unsubscribe', feed: 'election' }],
  ])('accepts %s', (text, frame) => {
    expect(parseClientFrame(text)).toEqual({ ok: true, frame });
  });

  it.each([
    ['not json', 'bad_frame'],
    ['', 'bad_frame'],
    ['[1,2]', 'bad_frame'],
    ['"subscribe"', 'bad_frame'],
    ['null', 'bad_frame'],
    ['{"feed":"x"}', 'unknown_type'],
    ['{"type":"publish","feed":"x"}', 'unknown_type'],
    ['{"type":"subscribe"}', 'invalid_field'],
    ['{"type":"subscribe","feed":"Has Spaces"}', 'invalid_field'],
    ['{"type":"subscribe","feed":"x","since":-1}', 'invalid_field'],
    ['{"type":"subscribe","feed":"x","since":1.5}', 'invalid_field'],
    ['{"type":"subscribe","feed":"x","since":"3"}', 'invalid_field'],
    ['{"type":"subscribe","feed":"x","epoch":""}', 'invalid_field'],
    ['{"type":"subscribe","feed":"x","epoch":7}', 'invalid_field'],
  ])('refuses %s with %s', (text, code) => {
    const result = parseClientFrame(text);
    expect(result).toMatchObject({ ok: false, code, message: expect.any(String) });
  });
});
