/** Where bench/MAIL.md's section on the digest run begins: bench/digests.ts writes it, bench/mail.ts keeps it. */
export const DIGEST_HEADING = '## The daily digest run at national scale';
