/** Entry point of the browser client: mounts the app. */
import { render } from 'preact';
import { App } from './App.tsx';

const root = document.getElementById('app');
if (root === null) throw new Error('index.html has no #app element');
render(<App />, root);
