import { describe, expect, it } from 'vitest';
import { CONFIG_FILE_NAME, configPath, defaultServerdir, historyDir, lockPath } from '../../src/core/paths.js';

describe('default serverdir', () => {
  it('follows XDG_DATA_HOME on Linux, else ~/.local/share', () => {
    expect(defaultServerdir({ XDG_DATA_HOME: '/data/xdg' }, 'linux', '/home/noc')).toBe(
      '/data/xdg/pbx-failover-monitor',
    );
    expect(defaultServerdir({}, 'linux', '/home/noc')).toBe('/home/noc/.local/share/pbx-failover-monitor');
    // A relative XDG_DATA_HOME is invalid by the spec and ignored.
    expect(defaultServerdir({ XDG_DATA_HOME: 'rel/dir' }, 'linux', '/home/noc')).toBe(
      '/home/noc/.local/share/pbx-failover-monitor',
    );
    expect(defaultServerdir({}, 'freebsd', '/home/noc')).toBe('/home/noc/.local/share/pbx-failover-monitor');
  });

  it('uses Application Support on macOS', () => {
    expect(defaultServerdir({ XDG_DATA_HOME: '/ignored' }, 'darwin', '/Users/noc')).toBe(
      '/Users/noc/Library/Application Support/pbx-failover-monitor',
    );
  });

  it('uses %APPDATA% on Windows, with a fallback under the profile', () => {
    expect(defaultServerdir({ APPDATA: 'C:\\Users\\noc\\AppData\\Roaming' }, 'win32', 'C:\\Users\\noc')).toBe(
      'C:\\Users\\noc\\AppData\\Roaming\\pbx-failover-monitor',
    );
    expect(defaultServerdir({}, 'win32', 'C:\\Users\\noc')).toBe(
      'C:\\Users\\noc\\AppData\\Roaming\\pbx-failover-monitor',
    );
  });

  it('names the files inside a serverdir', () => {
    expect(CONFIG_FILE_NAME).toBe('pbxctrl-failover.xml');
    expect(configPath('/srv/pbx')).toBe('/srv/pbx/pbxctrl-failover.xml');
    expect(lockPath('/srv/pbx')).toBe('/srv/pbx/pbxctrl-failover.lock');
    expect(historyDir('/srv/pbx')).toBe('/srv/pbx/history');
  });
});
