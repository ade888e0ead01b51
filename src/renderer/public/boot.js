// Runs before the dashboard's bundle has even loaded: in a browser, the pair list is requested at
// once, in its compact columns form (src/shared/pair-columns.ts), so that it is on its way while
// the scripts download and start (HttpBackend.listPairs takes this first answer). In the desktop
// app (the preload's window.pbxMonitor) it does nothing. It loads async, so it may (rarely) run
// after the bundle: the app then asked for the list itself and marked it taken (null), and this
// asks for nothing.
(function () {
  'use strict';
  if (window.pbxMonitor || window.__pbxFirstPairs !== undefined) return;
  var match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  var token;
  try {
    token = match ? decodeURIComponent(match[1]) : sessionStorage.getItem('pbx-monitor-token');
  } catch (e) {
    return;
  }
  if (!token) return;
  window.__pbxFirstPairs = {
    token: token,
    response: fetch('/api/pairs?format=columns', {
      headers: { authorization: 'Bearer ' + token, accept: 'application/json' },
      cache: 'no-store',
    }),
  };
})();
