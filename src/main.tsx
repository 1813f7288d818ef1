import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './index.css';
import { App } from './app/App';
import { installDebugSwitch } from './platform/logger';
import { startTheme } from './ui/theme';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

// `wayfarerDebug(true)` in the console switches on debug lines (src/platform/logger.ts).
installDebugSwitch();

// index.html applied the theme before first paint; from here it follows the system and other tabs live.
startTheme();

// The timeline benchmark page is a separate entry (bench/timeline.html) that only the bench build has.
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
