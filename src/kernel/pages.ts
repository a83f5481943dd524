/**
 * Every item of a paginated API: calls `page` with the token of the previous answer (undefined
 * first) until an answer has no next token (an empty string counts as none).
 */
export async function allPages<T>(
  page: (token: string | undefined) => Promise<{ items: readonly T[]; next?: string | undefined }>,
): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const res = await page(token);
    out.push(...res.items);
    token = res.next || undefined;
  } while (token);
  return out;
}
