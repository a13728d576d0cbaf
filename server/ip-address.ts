/** Parsing of textual IP addresses, as Node and the kernel spell them. */
import { isIPv6 } from 'node:net';

/** The four bytes of a dotted IPv4 address, or null. */
export function ipv4Bytes(address: string): number[] | null {
  const parts = address.split('.').map(Number);
  return parts.length === 4 && parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 255) ? parts : null;
}

/**
 * The eight 16-bit groups of an IPv6 address (a `%zone` is ignored; it may end in dotted
 * IPv4, as Node spells IPv4 clients of a dual-stack listener: `::ffff:a.b.c.d`), or null.
 */
export function ipv6Groups(address: string): number[] | null {
  let text = address.split('%', 1)[0] ?? address;
  if (!isIPv6(text)) return null;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  const tail = v4?.[1] === undefined ? null : ipv4Bytes(v4[1]);
  if (v4 !== null && tail !== null) {
    const [a, b, c, d] = tail as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::') as [string, string | undefined];
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}
