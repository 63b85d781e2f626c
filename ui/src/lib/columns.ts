// The columns of each list that the user may hide (Settings → Lists). The ids are the ones the
// backend accepts (core/src/prefs.rs, COLUMNS; a test keeps the two equal); each cell carries
// the class `c-<id>`, and app.css hides it when the table has `hide-<id>`.
import { prefs } from './prefs.svelte';

export const hideableColumns: Record<string, { id: string; label: string }[]> = {
  containers: [
    { id: 'security', label: 'Security grade' },
    { id: 'image', label: 'Image' },
    { id: 'state', label: 'State' },
    { id: 'ports', label: 'Ports' },
    { id: 'id', label: 'Container ID' },
    { id: 'created', label: 'Created' },
  ],
  images: [
    { id: 'id', label: 'Image ID' },
    { id: 'size', label: 'Size' },
    { id: 'created', label: 'Created' },
    { id: 'used', label: 'Used by' },
  ],
  volumes: [
    { id: 'driver', label: 'Driver' },
    { id: 'used', label: 'Used by' },
    { id: 'size', label: 'Size' },
    { id: 'created', label: 'Created' },
    { id: 'mountpoint', label: 'Mountpoint' },
  ],
  networks: [
    { id: 'driver', label: 'Driver' },
    { id: 'subnets', label: 'Subnets' },
    { id: 'containers', label: 'Containers' },
    { id: 'isolation', label: 'Isolation' },
    { id: 'id', label: 'Network ID' },
    { id: 'created', label: 'Created' },
  ],
};

/** The table's classes that hide the columns the user chose to hide. */
export function hiddenClasses(list: string): string {
  return prefs.hidden(list).map((c) => `hide-${c}`).join(' ');
}
