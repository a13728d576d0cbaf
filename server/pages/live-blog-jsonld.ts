/**
 * The schema.org `LiveBlogPosting` of a feed (JSON-LD), as search engines read a live blog:
 * the feed with its coverage times and publisher, and one `BlogPosting` per entry the page
 * shows, each with its permalink.
 */
import { ENTRY_ID_PREFIX, entryLabel, plainText } from '../../client-sdk/src/widget/markup';
import type { Entry, FeedSnapshot } from '../domain/types';

export interface Publisher {
  readonly name: string;
  /** An absolute URL of the publisher's logo, or null. */
  readonly logoUrl: string | null;
}

interface Person {
  readonly '@type': 'Person';
  readonly name: string;
}

export interface BlogPosting {
  readonly '@type': 'BlogPosting';
  readonly headline: string;
  readonly articleBody: string;
  readonly datePublished: string;
  readonly dateModified: string;
  readonly url: string;
  readonly author?: readonly Person[];
}

export interface LiveBlogPosting {
  readonly '@context': 'https://schema.org';
  readonly '@type': 'LiveBlogPosting';
  readonly headline: string;
  readonly description?: string;
  readonly url: string;
  readonly mainEntityOfPage: string;
  readonly datePublished: string;
  readonly dateModified: string;
  readonly coverageStartTime?: string;
  readonly coverageEndTime?: string;
  readonly publisher: {
    readonly '@type': 'Organization';
    readonly name: string;
    readonly logo?: { readonly '@type': 'ImageObject'; readonly url: string };
  };
  readonly liveBlogUpdate: readonly BlogPosting[];
}

/**
 * The newest change the page reflects: the feed's, its entries', and `lastEventAt` (when
 * the feed's last event was committed, which also counts deletions), whichever is latest.
 */
export function lastModified(snapshot: FeedSnapshot, lastEventAt: string | null): string {
  const times = [snapshot.feed.updatedAt, ...snapshot.entries.map((e) => e.updatedAt), ...(lastEventAt === null ? [] : [lastEventAt])];
  return times.reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));
}

function update(e: Entry, pageUrl: string): BlogPosting {
  return {
    '@type': 'BlogPosting',
    headline: entryLabel(e),
    articleBody: plainText(e.body),
    datePublished: e.publishedAt,
    dateModified: e.updatedAt,
    url: `${pageUrl}#${ENTRY_ID_PREFIX}${e.id}`,
    ...(e.authors.length > 0 ? { author: e.authors.map((name) => ({ '@type': 'Person' as const, name })) } : {}),
  };
}

/**
 * The feed of `snapshot` at `pageUrl` (its canonical URL). `coverageStartTime` is when it
 * went live (else its announced start), `coverageEndTime` appears only once it has ended.
 */
export function liveBlogPosting(snapshot: FeedSnapshot, pageUrl: string, modified: string, publisher: Publisher): LiveBlogPosting {
  const { feed } = snapshot;
  const start = feed.coverageStartedAt ?? feed.startsAt;
  return {
    '@context': 'https://schema.org',
    '@type': 'LiveBlogPosting',
    headline: feed.title,
    ...(feed.description !== '' ? { description: feed.description } : {}),
    url: pageUrl,
    mainEntityOfPage: pageUrl,
    datePublished: feed.createdAt,
    dateModified: modified,
    ...(start !== null ? { coverageStartTime: start } : {}),
    ...(feed.status === 'ended' && feed.coverageEndedAt !== null ? { coverageEndTime: feed.coverageEndedAt } : {}),
    publisher: {
      '@type': 'Organization',
      name: publisher.name,
      ...(publisher.logoUrl !== null ? { logo: { '@type': 'ImageObject' as const, url: publisher.logoUrl } } : {}),
    },
    liveBlogUpdate: snapshot.entries.map((e) => update(e, pageUrl)),
  };
}
