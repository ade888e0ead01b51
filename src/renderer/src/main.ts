import { mount } from 'svelte';
import App from './App.svelte';
import { chooseBackend } from './lib/backend';
import { AppState, appContext } from './lib/app.svelte';
import './app.css';
import { mark } from './lib/perf';

mark('bundle-running');

const app = new AppState(chooseBackend());
// The pairs are fetched while the first render happens, not after it.
void app.start();
mark('app-started');
mount(App, { target: document.getElementById('app')!, context: appContext(app) });
mark('app-mounted');
