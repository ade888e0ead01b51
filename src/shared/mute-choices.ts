// How long a mute of desktop notifications lasts: the tray menu and the desktop settings view offer the same choices.

export const MUTE_CHOICES = ['1h', '4h', 'tomorrow'] as const;
export type MuteChoice = (typeof MUTE_CHOICES)[number];

export const MUTE_LABELS: Record<MuteChoice, string> = {
  '1h': 'For 1 hour',
  '4h': 'For 4 hours',
  tomorrow: 'Until tomorrow 08:00',
};

/** "Until tomorrow" means the start of the next working morning, 08:00 local time. */
export const TOMORROW_HOUR = 8;

export function muteUntil(choice: MuteChoice, now: Date): Date {
  switch (choice) {
    case '1h':
      return new Date(now.getTime() + 3_600_000);
    case '4h':
      return new Date(now.getTime() + 4 * 3_600_000);
    case 'tomorrow': {
      const t = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, TOMORROW_HOUR, 0, 0, 0);
      return t;
    }
  }
}
