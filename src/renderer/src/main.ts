import { mount } from 'svelte';
import App from './App.svelte';
import { chooseBackend } from './lib/backend';
import { AppState, appContext } from './lib/app.svelte';
import './app.css';

const app = new AppState(chooseBackend());
// The pairs are fetched while the first render happens, not after it.
void app.start();
mount(App, { target: document.getElementById('app')!, context: appContext(app) });
