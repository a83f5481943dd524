/** An error shaped as the SDK throws a service's: `name`, the HTTP status in `$metadata`, any extra members. */
export function awsError(name: string, status: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} happened`), {
    name,
    $metadata: { httpStatusCode: status },
    ...extra,
  });
}
