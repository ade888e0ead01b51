// How a pair is named in messages (alerts, logs): its name with the id in brackets, or the id alone.

export function pairLabel(pair: { id: string; name?: string }): string {
  return pair.name && pair.name !== pair.id ? `${pair.name} (${pair.id})` : pair.id;
}
