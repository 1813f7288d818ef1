// The bench build's entry (bench/timeline.html, built by `vite build --mode bench` into dist-bench/): the real
// ChatView over a generated room, never part of the production bundle. `?events=N[&loaded=M]`; read by
// bench/client.bench.ts and e2e/timeline-scroll.spec.ts.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '../../index.css';
import TimelineBench from './TimelineBench';
import { loadCatalogue } from '../../i18n';

const root = document.getElementById('root');
if (!root) throw new Error('bench/timeline.html has no #root element');

const params = new URLSearchParams(location.search);
const events = Math.max(1, Math.min(200_000, Number(params.get('events')) || 10_000));
const loaded = params.has('loaded') ? Math.max(1, Number(params.get('loaded')) || 30) : undefined;

// The timeline's sentences are beyond the sign-in screen's part of the catalogue.
await loadCatalogue();
createRoot(root).render(
  <StrictMode>
    <TimelineBench count={events} loaded={loaded} />
  </StrictMode>,
);
