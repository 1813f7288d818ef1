// Dropping files anywhere on a room sends them (Element's drop zone): an overlay says so while files are dragged over.
import { useRef, useState, type DragEvent } from 'react';
import { t } from '../../i18n';

const carriesFiles = (event: DragEvent) => event.dataTransfer.types.includes('Files');

/** Handlers for the room's element, and whether files are over it now. */
export function useFileDrop(onFiles: (files: File[]) => void) {
  const [dragging, setDragging] = useState(false);
  // dragenter/dragleave fire for every child crossed: count them, so the overlay does not flicker.
  const depth = useRef(0);
  const handlers = {
    onDragEnter(event: DragEvent) {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      depth.current++;
      setDragging(true);
    },
    onDragOver(event: DragEvent) {
      if (!carriesFiles(event)) return;
      event.preventDefault(); // allows the drop
      event.dataTransfer.dropEffect = 'copy';
    },
    onDragLeave(event: DragEvent) {
      if (!carriesFiles(event)) return;
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setDragging(false);
    },
    onDrop(event: DragEvent) {
      depth.current = 0;
      setDragging(false);
      if (event.dataTransfer.files.length === 0) return;
      event.preventDefault(); // the browser would open the file instead
      onFiles([...event.dataTransfer.files]);
    },
  };
  return { dragging, handlers };
}

export function DropOverlay() {
  return (
    <div
      aria-hidden
      className="pointer-events-none absolute inset-2 z-30 flex items-center justify-center rounded-lg border-2 border-dashed border-indigo-500 bg-surface/80 text-lg font-semibold text-accent-fg"
    >
      {t('chat.dropFiles')}
    </div>
  );
}
