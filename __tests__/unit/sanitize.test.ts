import { sanitizeBody } from '../../server/domain/sanitize';

/** Classic XSS vectors (OWASP filter-evasion cheat sheet and friends). None may survive. */
const VECTORS = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=//xss.example/xss.js></SCRIPT>',
  '<img src=x onerror=alert(1)>',
  '<img src="javascript:alert(1)">',
  '<IMG SRC=JaVaScRiPt:alert(1)>',
  '<img src=`javascript:alert(1)`>',
  '<a href="javascript:alert(1)">click</a>',
  '<a href="JAVASCRIPT:alert(1)">click</a>',
  '<a href="jav&#x09;ascript:alert(1)">click</a>',
  '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">click</a>',
  '<a href=" javascript:alert(1)">click</a>',
  '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
  '<a href="vbscript:msgbox(1)">click</a>',
  '<svg onload=alert(1)>',
  '<svg><script>alert(1)</script></svg>',
  '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<body onload=alert(1)>',
  '<iframe src="javascript:alert(1)"></iframe>',
  '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  '<object data="javascript:alert(1)"></object>',
  '<embed src="javascript:alert(1)">',
  '<div style="background:url(javascript:alert(1))">x</div>',
  '<p style="x:expression(alert(1))">x</p>',
  '<details open ontoggle=alert(1)>',
  '<input autofocus onfocus=alert(1)>',
  '<form action="javascript:alert(1)"><button>go</button></form>',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '<link rel="stylesheet" href="javascript:alert(1)">',
  '<base href="javascript:alert(1)//">',
  '<p onmouseover="alert(1)">hover</p>',
  '<<script>alert(1);//<</script>',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '"><script>alert(1)</script>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  '<template><script>alert(1)</script></template>',
  '<a href="https://example.com" onclick="alert(1)">ok</a>',
  '<img src="https://example.com/x.png" onerror="alert(1)">',
  '<style>@import "javascript:alert(1)";</style>',
  '<textarea><script>alert(1)</script></textarea>',
  '<blockquote cite="javascript:alert(1)">q</blockquote>',
];

describe('sanitizeBody', () => {
  it.each(VECTORS)('neutralises %s', (vector) => {
    const out = sanitizeBody(vector);
    expect(out).not.toMatch(/<script|<svg|<iframe|<object|<embed|<style|<form|<input|<meta|<link|<base|<math|<details|<template|<textarea/i);
    expect(out).not.toMatch(/\son[a-z]+\s*=/i);
    expect(out).not.toMatch(/javascript:|vbscript:|data:/i);
    expect(out).not.toMatch(/style=/i);
  });

  it('keeps ordinary newsroom markup', () => {
    const html = '<p>Results from <strong>Ohio</strong> and <em>Texas</em>:</p><ul><li>one</li></ul>'
      + '<blockquote>“We won”</blockquote><h3>Next</h3><img src="https://cdn.example.com/a.jpg" alt="crowd" />';
    expect(sanitizeBody(html)).toBe(html);
  });

  it('keeps safe links and marks them noopener', () => {
    expect(sanitizeBody('<a href="https://example.com/x?a=1&amp;b=2">source</a>'))
      .toBe('<a href="https://example.com/x?a=1&amp;b=2" rel="noopener noreferrer nofollow">source</a>');
    expect(sanitizeBody('<a href="mailto:desk@example.com" rel="opener">mail</a>'))
      .toBe('<a href="mailto:desk@example.com" rel="noopener noreferrer nofollow">mail</a>');
  });

  it('escapes text that only looks like markup', () => {
    expect(sanitizeBody('5 < 6 & 7 > 3')).toBe('5 &lt; 6 &amp; 7 &gt; 3');
  });
});
