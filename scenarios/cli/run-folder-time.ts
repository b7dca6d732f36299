/** The time in a default run folder's name: 20261206-141500 (UTC), so folders sort by when they were made. */
export function runFolderTime(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}
