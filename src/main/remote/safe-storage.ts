// Electron's safeStorage as the TokenCipher of remote-config.ts: the token is encrypted with the OS
// keychain (macOS Keychain, Windows DPAPI, libsecret/kwallet on Linux).

import { safeStorage } from 'electron';
import type { TokenCipher } from './remote-config.js';

export const electronCipher: TokenCipher = {
  isEncryptionAvailable: () =>
    // Linux without a secret service falls back to a hard-coded key: that is not protection.
    safeStorage.isEncryptionAvailable() &&
    (process.platform !== 'linux' || safeStorage.getSelectedStorageBackend?.() !== 'basic_text'),
  encryptString: (plain) => safeStorage.encryptString(plain),
  decryptString: (encrypted) => safeStorage.decryptString(encrypted),
};
