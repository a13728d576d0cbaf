import { keySlot } from '../../server/redis/key-slot';

describe('keySlot (Redis Cluster hash slots)', () => {
  it('is CRC16-XMODEM mod 16384, as in the Redis Cluster specification', () => {
    expect(keySlot('123456789')).toBe(0x31c3 % 16384); // the specification's check value
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('bar')).toBe(5061);
  });

  it('hashes only the hash tag when there is one, and the whole key when it is empty', () => {
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('ll:{feed-1}:channel')).toBe(keySlot('feed-1'));
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar')); // the first tag is empty: the whole key counts
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar')); // the tag ends at the first } after the first {
    expect(keySlot('ünï{cödé}')).toBe(keySlot('cödé')); // bytes, not characters
  });
});
