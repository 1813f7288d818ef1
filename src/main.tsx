import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './index.css';
import { App } from './app/App';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

// The timeline benchmark page is a separate entry (bench/timeline.html) that only the bench build has.
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
